-- The "without the plugin" snippets of client-nvim/README.md, run as written: source them,
-- open a project file, run a review through workspace/executeCommand, see the diagnostics.
local T = dofile(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":h") .. "/lib.lua")
local I = T.input

local function bigpicture_client(bufnr)
  local clients
  if vim.lsp.get_clients then
    clients = vim.lsp.get_clients({ bufnr = bufnr, name = "bigpicture" })
  else
    clients = vim.tbl_values(vim.lsp.buf_get_clients(bufnr))
  end
  for _, c in ipairs(clients) do
    if c.name == "bigpicture" then
      return c
    end
  end
end

T.run(function()
  vim.cmd("filetype on") -- -u NONE leaves it off; vim.lsp.enable attaches on FileType
  vim.opt.runtimepath:prepend(I.plugin_dir) -- for lsp/bigpicture.lua
  for _, path in ipairs(I.snippets) do
    dofile(path)
  end
  local buf = T.open(I.file)
  local client
  T.wait("client ready", 15000, function()
    client = bigpicture_client(buf)
    return client ~= nil and client.initialized == true
  end)
  T.out.root_dir = client.config.root_dir
  T.out.init_options = client.config.init_options or vim.NIL
  -- lsp/bigpicture.lua sends its settings as initializationOptions from before_init.
  local before_init = client.config.before_init
  if before_init then
    local params = {}
    before_init(params, client.config)
    T.out.before_init_options = params.initializationOptions or vim.NIL
  end
  if I.command ~= nil and I.command ~= vim.NIL then
    vim.cmd(I.command)
    T.wait_note("review summary", 20000, 0, I.note_pattern)
  else
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
  end
  T.wait("diagnostics", 5000, function()
    return #T.bp_diagnostics(buf) >= I.expect_findings
  end)
  T.out.diagnostics = T.bp_diagnostics(buf)
end)
