-- reviewOnSave = "changes": an edit and :write start a review, with no command.
local T = dofile(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":h") .. "/lib.lua")
local I = T.input

T.run(function()
  local bp = T.setup_plugin()
  local buf = T.open(I.file)
  T.wait("client ready", 15000, function()
    local c = T.client()
    return c ~= nil and c.initialized == true and vim.lsp.buf_is_attached(buf, c.id)
  end)
  vim.api.nvim_buf_set_lines(buf, I.edit.lnum, I.edit.lnum, false, I.edit.lines)
  vim.cmd("write")
  T.wait_review("diagnostics after save", 20000, bp, buf, function()
    return #T.bp_diagnostics(buf) >= I.expect_findings
  end)
  T.wait("summary from reviewFinished", 5000, function()
    return T.finished(bp, buf, "changes")
  end)
  T.out.diagnostics = T.bp_diagnostics(buf)
  T.out.status_after = bp.status(buf)
  T.out.last = bp.state(buf).last
end)
