-- The last review's findings come back after :BigPicture restart (as after quitting Neovim and
-- starting it again): re-anchored on the buffer's current text, with nothing sent, and the
-- statusline says which review they come from.
local T = dofile(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":h") .. "/lib.lua")
local I = T.input

T.run(function()
  local bp = T.setup_plugin()
  local buf = T.open(I.file)
  local client = T.wait_ready(buf)
  vim.cmd("BigPicture review")
  T.wait_review("review", 20000, bp, buf, function()
    return T.finished(bp, buf, "workspace") and #T.bp_diagnostics(buf) == I.expect_findings
  end)
  T.out.before = { diagnostics = T.bp_diagnostics(buf), statusline = bp.status(buf) }
  -- A line typed above the findings (not written): the restored ones follow it.
  vim.api.nvim_buf_set_lines(buf, 0, 0, false, { "# typed before the restart" })
  local old = client.id
  vim.cmd("BigPicture restart")
  T.wait("restarted", 15000, function()
    local c = T.client()
    return c ~= nil and c.id ~= old and c.initialized == true and vim.lsp.buf_is_attached(buf, c.id)
  end)
  T.wait("findings restored", 15000, function()
    local s = bp.state(buf)
    local d = T.bp_diagnostics(buf)
    return s ~= nil
      and s.last ~= nil
      and s.last.restored == true
      and #d == I.expect_findings
      and d[1].lnum == T.out.before.diagnostics[1].lnum + 1
  end)
  T.out.after = {
    diagnostics = T.bp_diagnostics(buf),
    statusline = bp.status(buf),
    last = bp.state(buf).last,
  }
end)
