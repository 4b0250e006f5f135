-- :BigPictureCancel while the review is held by the fake API. The review command must return
-- at once (asynchronous), and the review must end as cancelled.
local T = dofile(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":h") .. "/lib.lua")
local I = T.input

T.run(function()
  local bp = T.setup_plugin()
  local buf = T.open(I.file)
  T.wait("client ready", 15000, function()
    local c = T.client()
    return c ~= nil and c.initialized == true and vim.lsp.buf_is_attached(buf, c.id)
  end)
  local t0 = vim.loop.hrtime()
  vim.cmd("BigPictureReview")
  T.out.review_cmd_ms = (vim.loop.hrtime() - t0) / 1e6
  -- The test writes held_file once the fake API holds the request.
  T.wait_review("request held by the API", 20000, bp, buf, function()
    return vim.loop.fs_stat(I.held_file) ~= nil
  end)
  T.out.status_running = bp.status(buf)
  T.out.running = bp.state(buf).running
  vim.cmd("BigPictureCancel")
  T.wait("review ended", 15000, function()
    return T.finished(bp, buf, "workspace")
  end)
  T.out.last = bp.state(buf).last
  T.out.status_after = bp.status(buf)
  T.out.diagnostics = T.bp_diagnostics(buf)
  -- The server is still usable: cancelling again says nothing runs.
  vim.cmd("BigPictureCancel")
  T.wait("second cancel answered", 10000, function()
    return T.has_note("no review is running") ~= nil
  end)
end)
