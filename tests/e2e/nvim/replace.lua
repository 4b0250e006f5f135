-- A review started while one runs: the plugin says it cancelled the running one, and does not
-- report that one's "cancelled" as if the user had cancelled it.
local T = dofile(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":h") .. "/lib.lua")
local I = T.input

T.run(function()
  local bp = T.setup_plugin()
  local buf = T.open(I.file)
  T.wait_ready(buf)
  vim.cmd("BigPicture review")
  -- The test writes held_file once the fake API holds the request.
  T.wait_review("request held by the API", 20000, bp, buf, function()
    return vim.loop.fs_stat(I.held_file) ~= nil
  end)
  T.out.status_running = bp.status(buf)
  vim.cmd("BigPicture file")
  T.wait_review("file review finished", 20000, bp, buf, function()
    return T.finished(bp, buf, "file")
  end)
  T.out.last = bp.state(buf).last
  T.out.status_after = bp.status(buf)
  -- Nothing more arrives for the replaced review.
  local c = T.client()
  local done = false
  local params = { command = "bigpicture.usage" }
  local function handler()
    done = true
  end
  if vim.fn.has("nvim-0.11") == 1 then
    c:request("workspace/executeCommand", params, handler, 0)
  else
    c.request("workspace/executeCommand", params, handler, 0)
  end
  T.wait("a round trip after", 10000, function()
    return done
  end)
end)
