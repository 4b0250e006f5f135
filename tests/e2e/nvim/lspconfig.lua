-- Without the plugin, Neovim 0.11: client-nvim/lsp/bigpicture.lua through vim.lsp.config and
-- vim.lsp.enable, and a review through workspace/executeCommand as the README shows.
local T = dofile(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":h") .. "/lib.lua")
local I = T.input

T.run(function()
  vim.cmd("filetype on") -- -u NONE leaves it off; vim.lsp.enable attaches on FileType
  vim.opt.runtimepath:prepend(I.plugin_dir)
  vim.lsp.config("bigpicture", { cmd = I.cmd, settings = { bigpicture = I.settings } })
  vim.lsp.enable("bigpicture")
  local buf = T.open(I.file)
  local client
  T.wait("client ready", 15000, function()
    client = vim.lsp.get_clients({ name = "bigpicture", bufnr = buf })[1]
    return client ~= nil and client.initialized == true
  end)
  T.out.root_dir = client.config.root_dir
  T.out.commands = client.server_capabilities.executeCommandProvider.commands
  local summary
  client:request(
    "workspace/executeCommand",
    { command = "bigpicture.reviewWorkspace" },
    function(err, result)
      summary = err and { error = err.message } or result
    end,
    buf
  )
  T.wait("review result", 20000, function()
    return summary ~= nil
  end)
  T.out.summary = summary
  T.wait("diagnostics", 5000, function()
    return #T.bp_diagnostics(buf) >= I.expect_findings
  end)
  T.out.diagnostics = T.bp_diagnostics(buf)
end)
