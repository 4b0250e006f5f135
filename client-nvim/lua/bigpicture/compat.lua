-- Differences between Neovim 0.7 and 0.11 that the plugin has to paper over, in one place.
--
-- 0.7 has no vim.fs, no vim.lsp.start (0.8), no vim.lsp.get_clients (0.10), no vim.health (0.8;
-- vim.health.start 0.10), and calls client methods with a dot (client.request(...)); 0.11 wants
-- a colon and warns about the dot, and deprecates vim.validate's table form.

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

function M.stop(client, force)
  if M.colon_methods then
    return client:stop(force)
  end
  return client.stop(force)
end

---vim.validate(name, value, validator, optional): the positional form on 0.11 (the table form
---is deprecated there), the table form before (the only one 0.7 has).
function M.validate(name, value, validator, optional)
  if M.colon_methods then
    return vim.validate(name, value, validator, optional)
  end
  return vim.validate({ [name] = { value, validator, optional } })
end

---The diagnostic namespace a client's pushed diagnostics go to.
function M.namespace(client_id)
  return vim.lsp.diagnostic.get_namespace(client_id, false)
end

---Reporters for :checkhealth: vim.health.start/ok/... (0.10+), vim.health.report_* (0.8, 0.9),
---health#report_* (0.7).
function M.health()
  local h = vim.health
  if h and h.start then
    return { start = h.start, ok = h.ok, warn = h.warn, error = h.error, info = h.info }
  end
  if h and h.report_start then
    return {
      start = h.report_start,
      ok = h.report_ok,
      warn = h.report_warn,
      error = h.report_error,
      info = h.report_info,
    }
  end
  local function fn(name)
    return function(msg, advice)
      if advice ~= nil then
        return vim.fn["health#report_" .. name](msg, advice)
      end
      return vim.fn["health#report_" .. name](msg)
    end
  end
  return {
    start = fn("start"),
    ok = fn("ok"),
    warn = fn("warn"),
    error = fn("error"),
    info = fn("info"),
  }
end

---Run `argv` and wait for it at most `ms`; its output (stdout then stderr) and exit code, or
---nil and a reason. (vim.system is 0.10+; jobstart works everywhere.)
function M.run(argv, ms)
  local out = {}
  local function collect(_, data)
    for _, line in ipairs(data or {}) do
      if line ~= "" then
        table.insert(out, line)
      end
    end
  end
  local ok, job = pcall(vim.fn.jobstart, argv, {
    stdout_buffered = true,
    stderr_buffered = true,
    on_stdout = collect,
    on_stderr = collect,
  })
  if not ok or job <= 0 then
    return nil, "cannot run " .. tostring(argv[1])
  end
  local code = vim.fn.jobwait({ job }, ms)[1]
  if code == -1 then
    vim.fn.jobstop(job)
    return nil, "timed out"
  end
  return table.concat(out, "\n"), code
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
