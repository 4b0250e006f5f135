-- Differences between Neovim 0.7 and 0.11 that the plugin has to paper over, in one place.
--
-- 0.7 has no vim.fs, no vim.lsp.start (0.8), no vim.lsp.get_clients (0.10), and calls client
-- methods with a dot (client.request(...)); 0.11 wants a colon and warns about the dot.

local M = {}

local uv = vim.uv or vim.loop

M.has_start = vim.lsp.start ~= nil
M.colon_methods = vim.fn.has("nvim-0.11") == 1

---The directory holding one of `markers`, walking up from `path` (a file or a directory).
---Nearest wins; a marker may be a file or a directory (`.git` is a file in worktrees).
---@param path string
---@param markers string[]
---@return string|nil
function M.find_root(path, markers)
  if path == nil or path == "" then
    return nil
  end
  local dir = vim.fn.fnamemodify(path, ":p")
  local stat = uv.fs_stat(dir)
  if not (stat and stat.type == "directory") then
    dir = vim.fn.fnamemodify(dir, ":h")
  end
  dir = dir:gsub("/+$", "")
  if dir == "" then
    dir = "/"
  end
  while true do
    for _, marker in ipairs(markers) do
      if uv.fs_stat(dir .. "/" .. marker) then
        return dir
      end
    end
    local parent = vim.fn.fnamemodify(dir, ":h")
    if parent == dir or parent == "" then
      return nil
    end
    dir = parent
  end
end

---client:request on 0.11, client.request before.
function M.request(client, method, params, handler, bufnr)
  if M.colon_methods then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

function M.notify(client, method, params)
  if M.colon_methods then
    return client:notify(method, params)
  end
  return client.notify(method, params)
end

function M.is_stopped(client)
  if M.colon_methods then
    return client:is_stopped()
  end
  return client.is_stopped()
end

---Has the client finished the initialize handshake? (Both 0.7 and 0.11 set `initialized`
---once the server answered; 0.11 has `server_capabilities = {}` before that.)
function M.is_initialized(client)
  return client.initialized == true
end

---The settings object a client answers workspace/configuration from (client.settings on
---0.11, client.config.settings before).
function M.set_client_settings(client, settings)
  client.config.settings = settings
  if client.settings ~= nil then
    client.settings = settings
  end
end

---Start (or reuse) a client for `config.root_dir` and attach `bufnr` to it when given.
---@return integer|nil client_id
function M.start(config, bufnr, existing_id)
  local reuse = function(client, conf)
    return client.name == conf.name and client.config.root_dir == conf.root_dir
  end
  if bufnr and M.has_start then
    return vim.lsp.start(config, { bufnr = bufnr, reuse_client = reuse })
  end
  if not bufnr and vim.fn.has("nvim-0.11") == 1 then
    return vim.lsp.start(config, { attach = false, reuse_client = reuse })
  end
  local id = existing_id or vim.lsp.start_client(config)
  if id and bufnr then
    vim.lsp.buf_attach_client(bufnr, id)
  end
  return id
end

return M
