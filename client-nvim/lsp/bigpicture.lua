-- BigPicture as a plain Neovim 0.11+ LSP config (no plugin needed), in the nvim-lspconfig style.
--
-- Put this directory on 'runtimepath' (or copy this file to ~/.config/nvim/lsp/), then:
--
--   vim.lsp.config("bigpicture", { settings = { bigpicture = { reviewOnSave = "changes" } } })
--   vim.lsp.enable("bigpicture")
--
-- The API key is read only from ANTHROPIC_API_KEY in the server's environment (the one Neovim
-- was started with); never put it in settings. Commands go through workspace/executeCommand,
-- e.g. client:exec_cmd({ title = "Review", command = "bigpicture.reviewWorkspace" }).
-- See :help bigpicture-without-plugin.

---@type vim.lsp.Config
return {
  cmd = { "bigpicture", "serve" },
  -- The nearest directory holding either marker (equal priority).
  root_markers = { { ".git", "pyproject.toml" } },
  -- Answered for workspace/configuration (section "bigpicture"); keys as in :help bigpicture-settings.
  settings = { bigpicture = vim.empty_dict() },
  -- The server also takes the settings as initializationOptions: send the same object.
  before_init = function(params, config)
    local s = config.settings and config.settings.bigpicture
    if type(s) == "table" then
      params.initializationOptions = s
    end
  end,
}
