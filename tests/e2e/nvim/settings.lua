-- Settings: what the server is given (initializationOptions, workspace/configuration), that
-- nothing like an API key gets through, and update_settings() reaching the running server.
local T = dofile(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":h") .. "/lib.lua")
local I = T.input

local function request(client, command, arguments, on_result)
  local params = { command = command, arguments = arguments }
  local function handler(err, res)
    on_result(err and { error = err.message } or res)
  end
  if vim.fn.has("nvim-0.11") == 1 then
    client:request("workspace/executeCommand", params, handler, 0)
  else
    client.request("workspace/executeCommand", params, handler, 0)
  end
end

local function execute(client, command, arguments)
  local result
  request(client, command, arguments, function(res)
    result = res
  end)
  T.wait(command, 15000, function()
    return result ~= nil
  end)
  return result
end

T.run(function()
  local bp = T.setup_plugin(I.settings, I.options)
  local buf = T.open(I.file)
  T.wait("client ready", 15000, function()
    local c = T.client()
    return c ~= nil and c.initialized == true and vim.lsp.buf_is_attached(buf, c.id)
  end)
  local client = T.client()
  T.out.init_options = client.config.init_options
  local answer = vim.lsp.handlers["workspace/configuration"](nil, {
    items = { { section = "bigpicture" } },
  }, { client_id = client.id, method = "workspace/configuration" })
  T.out.configuration = answer
  T.out.estimate = execute(client, "bigpicture.estimate", { "workspace" })

  bp.update_settings(I.update)
  bp.update_settings(I.update_again)
  T.out.configuration_after = vim.lsp.handlers["workspace/configuration"](nil, {
    items = { { section = "bigpicture" } },
  }, { client_id = client.id, method = "workspace/configuration" })
  -- The server re-reads its settings on didChangeConfiguration: ask until it shows (one
  -- request at a time, each sent when the previous one answered).
  local estimate, pending = nil, false
  T.wait("new model in use", 10000, function()
    if estimate and estimate.model == I.update.model then
      return true
    end
    if not pending then
      pending = true
      request(client, "bigpicture.estimate", { "workspace" }, function(res)
        estimate, pending = res, false
      end)
    end
    return false
  end)
  T.out.estimate_after = estimate
  T.out.autostart = bp.config.autostart
end)
