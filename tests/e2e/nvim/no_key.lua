-- No ANTHROPIC_API_KEY in the server's environment: one clear error message.
local T = dofile(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":h") .. "/lib.lua")
local I = T.input

T.run(function()
  local bp = T.setup_plugin()
  local buf = T.open(I.file)
  T.wait("client ready", 15000, function()
    local c = T.client()
    return c ~= nil and c.initialized == true and vim.lsp.buf_is_attached(buf, c.id)
  end)
  vim.cmd("BigPictureReview")
  T.wait("error message", 20000, function()
    for _, n in ipairs(T.out.notes) do
      if n.level == vim.log.levels.ERROR then
        return true
      end
    end
    return false
  end)
  T.wait("status shows the failure", 5000, function()
    return bp.status(buf):find("failed") ~= nil
  end)
  T.out.status_after = bp.status(buf)
  T.out.diagnostics = T.bp_diagnostics(buf)
end)
