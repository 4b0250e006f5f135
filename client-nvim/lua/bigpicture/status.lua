-- What each BigPicture client is doing, for the statusline and the summary messages.
--
-- Fed by $/progress (while a review runs), by the bigpicture/reviewFinished notification
-- (every review, including those the server starts on save) and by command results.

local M = {}

local uv = vim.uv or vim.loop

---@class BigPictureState
---@field running boolean
---@field title string|nil
---@field message string|nil
---@field percentage number|nil
---@field last table|nil    the last ReviewSummary
---@field finished_at integer|nil  uv.now() when `last` arrived

---@type table<integer, BigPictureState>
M.by_client = {}
M.last_client = nil

local SEVERITIES = { "critical", "high", "medium", "low", "info" }

function M.get(client_id)
  local s = M.by_client[client_id]
  if not s then
    s = { running = false }
    M.by_client[client_id] = s
  end
  return s
end

function M.forget(client_id)
  M.by_client[client_id] = nil
  if M.last_client == client_id then
    M.last_client = nil
  end
  M.changed()
end

function M.changed()
  pcall(vim.cmd, "redrawstatus!")
  pcall(vim.api.nvim_exec_autocmds, "User", { pattern = "BigPictureStatus", modeline = false })
end

function M.started(client_id, title)
  local s = M.get(client_id)
  s.running = true
  s.title = title
  s.message = nil
  s.percentage = nil
  M.last_client = client_id
  M.changed()
end

---A $/progress value (begin/report/end).
function M.progress(client_id, value)
  local s = M.get(client_id)
  M.last_client = client_id
  if value.kind == "begin" then
    s.running = true
    s.title = value.title
    s.message = value.message
    s.percentage = value.percentage
  elseif value.kind == "report" then
    s.running = true
    s.message = value.message or s.message
    s.percentage = value.percentage or s.percentage
  elseif value.kind == "end" then
    s.running = false
    s.message = value.message
    s.percentage = nil
  end
  M.changed()
end

function M.finished(client_id, summary)
  local s = M.get(client_id)
  s.running = false
  s.title = nil
  s.message = nil
  s.percentage = nil
  s.last = summary
  s.finished_at = uv.now()
  M.last_client = client_id
  M.changed()
end

local function plural(n, word)
  return string.format("%d %s%s", n, word, n == 1 and "" or "s")
end

---"1 high, 2 medium" from a bySeverity table, most severe first.
function M.by_severity_text(by)
  local parts = {}
  for _, sev in ipairs(SEVERITIES) do
    local n = type(by) == "table" and tonumber(by[sev]) or nil
    if n and n > 0 then
      table.insert(parts, string.format("%d %s", n, sev))
    end
  end
  return table.concat(parts, ", ")
end

local function num(v)
  if type(v) == "number" then
    return v
  end
  return nil
end

---The one-line message for a ReviewSummary, and the vim.log level to show it at.
function M.summary_text(summary)
  local levels = vim.log.levels
  local kind = summary.kind and (tostring(summary.kind) .. " review") or "review"
  local status = summary.status
  local message = type(summary.message) == "string" and summary.message or ""
  if status == "ok" then
    local n = num(summary.findings) or 0
    local text = string.format("BigPicture: %s: %s", kind, plural(n, "finding"))
    local sev = M.by_severity_text(summary.bySeverity)
    if sev ~= "" then
      text = text .. " (" .. sev .. ")"
    end
    local cost = num(summary.costUsd)
    if cost then
      text = text .. string.format(", $%.4f", cost)
    end
    local share = num(summary.cacheReadShare)
    if share and share > 0 then
      text = text .. string.format(", %d%% from cache", math.floor(share * 100 + 0.5))
    end
    return text, levels.INFO
  end
  local label = ({
    incomplete = "incomplete",
    failed = "failed",
    cancelled = "cancelled",
    ["nothing-to-review"] = "nothing to review",
    ["over-budget"] = "over budget, nothing sent",
  })[status] or tostring(status)
  local text = string.format("BigPicture: %s %s", kind, label)
  message = message:gsub("^BigPicture:%s*", "")
  -- "cancelled: review cancelled" says nothing more than "cancelled".
  if message ~= "" and not message:lower():find(label, 1, true) then
    text = text .. ": " .. message
  end
  if status == "incomplete" and num(summary.findings) then
    text = text .. string.format(" (%s)", plural(summary.findings, "finding"))
  end
  local level = levels.WARN
  if status == "failed" then
    level = levels.ERROR
  elseif status == "nothing-to-review" then
    level = levels.INFO
  end
  return text, level
end

---The statusline text for a client: "BigPicture" until something happened.
function M.text(client_id)
  local s = M.by_client[client_id]
  if not s then
    return "BigPicture"
  end
  if s.running then
    local text = "BigPicture: " .. (s.title or "reviewing"):gsub("^BigPicture:%s*", "")
    if s.message and s.message ~= "" then
      text = text .. " – " .. s.message
    end
    if s.percentage then
      text = text .. string.format(" %d%%", s.percentage)
    end
    return text
  end
  local last = s.last
  if not last then
    return "BigPicture"
  end
  if last.status == "ok" then
    local text = "BigPicture: " .. plural(num(last.findings) or 0, "finding")
    local cost = num(last.costUsd)
    if cost then
      text = text .. string.format(" $%.2f", cost)
    end
    return text
  end
  return "BigPicture: " .. tostring(last.status)
end

return M
