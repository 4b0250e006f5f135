-- :BigPictureReviewChanges after an edit and :write.
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
  vim.cmd("BigPictureReviewChanges")
  T.wait_review("changes review finished", 20000, bp, buf, function()
    return T.finished(bp, buf, "changes")
  end)
  T.wait("diagnostics", 5000, function()
    return #T.bp_diagnostics(buf) >= I.expect_findings
  end)
  T.out.diagnostics = T.bp_diagnostics(buf)
  T.out.status_after = bp.status(buf)
  T.out.last = bp.state(buf).last

  vim.cmd("BigPictureReviewFile")
  T.wait_review("file review finished", 20000, bp, buf, function()
    return T.finished(bp, buf, "file")
  end)
  T.out.file_last = bp.state(buf).last
end)
