-- :checkhealth bigpicture after a failed review, :BigPicture info and log, :BigPicture
-- completion, and :BigPicture restart.
local T = dofile(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":h") .. "/lib.lua")
local I = T.input

T.run(function()
  local bp = T.setup_plugin()
  local buf = T.open(I.file)
  local client = T.wait_ready(buf)
  if I.health_only then
    vim.cmd("checkhealth bigpicture")
    T.out.health = T.buffer_text(vim.api.nvim_get_current_buf())
    return
  end
  vim.cmd("BigPicture review")
  T.wait_review("review failed", 20000, bp, buf, function()
    return T.finished(bp, buf, "workspace")
  end, { failed = true })

  vim.cmd("checkhealth bigpicture")
  T.out.health = T.buffer_text(vim.api.nvim_get_current_buf())
  vim.cmd("buffer " .. buf)
  vim.cmd("BigPicture info")
  T.out.info = T.scratch("bigpicture://info").text
  vim.cmd("BigPicture log")
  T.out.log = T.scratch("bigpicture://log").text

  T.out.complete = {
    top = vim.fn.getcompletion("BigPicture ", "cmdline"),
    plan = vim.fn.getcompletion("BigPicture plan ", "cmdline"),
    dismiss = vim.fn.getcompletion("BigPicture dismiss w", "cmdline"),
    alias = vim.fn.getcompletion("BigPicturePlan c", "cmdline"),
  }

  vim.cmd("buffer " .. buf)
  local old = client.id
  vim.cmd("BigPicture restart")
  T.wait("restarted", 15000, function()
    local c = T.client()
    return c ~= nil and c.id ~= old and c.initialized == true and vim.lsp.buf_is_attached(buf, c.id)
  end)
  T.out.restarted = T.has_note("restarted") and T.has_note("restarted").msg or nil
  T.out.old_stopped = vim.lsp.get_client_by_id(old) == nil
    or vim.lsp.get_client_by_id(old).is_stopped ~= nil
  T.out.clients = vim.tbl_count(bp.clients())
end)
