-- :BigPicture review-all: a full-coverage review (every file whole, in shards), with progress
-- per shard in the plugin's log, each shard's findings as diagnostics, and the summary.
local T = dofile(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":h") .. "/lib.lua")
local I = T.input

T.run(function()
  local bp = T.setup_plugin()
  local buf = T.open(I.file)
  T.wait_ready(buf)
  vim.cmd("BigPicture plan full")
  T.out.plan = T.scratch("bigpicture://plan").text
  vim.cmd("BigPicture review-all")
  T.wait_review("full review finished", 60000, bp, buf, function()
    return T.finished(bp, buf, "full")
  end, { ok = true, incomplete = true })
  T.out.last = bp.state(buf).last
  T.out.status_after = bp.status(buf)
  local diagnostics = {}
  for _, path in ipairs(I.paths) do
    local b = T.open(path)
    T.wait("diagnostics of " .. path, 10000, function()
      return #T.bp_diagnostics(b) > 0
    end)
    diagnostics[path] = T.bp_diagnostics(b)
  end
  T.out.diagnostics = diagnostics
  T.out.log = T.log_entries()
end)
