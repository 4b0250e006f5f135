-- What the server sends the plugin: work-done progress, window/showMessage, window/logMessage
-- and bigpicture/reviewFinished, and the review summaries that command results carry.
--
-- Progress goes to the statusline (and to Neovim's own $/progress handling, so LspProgress and
-- progress plugins see it) and to the plugin's log; the user is told only how a review ended
-- and about errors. While a review runs, the server's warnings and errors are held until its
-- summary: the summary says the same thing, so it is said once.

local config = require("bigpicture.config")
local status = require("bigpicture.status")
local ui = require("bigpicture.ui")

local M = {}

local levels = vim.log.levels

local held = {} -- client id -> { {text, level} } server messages waiting for the summary
local notified = {} -- client id -> keys of summaries shown from the notification
local superseded = {} -- client id -> reviews the plugin replaced (their "cancelled" is not shown)
local replace_said = {} -- client id -> the plugin said it replaced a running review

local function key(summary)
  return table.concat({
    tostring(summary.status),
    tostring(summary.kind),
    tostring(summary.message),
    tostring(summary.requestId),
    tostring(summary.costUsd),
  }, "|")
end

local function strip(text)
  return (tostring(text or ""):gsub("^BigPicture:%s*", ""))
end

---The plugin is starting a review while one runs: the running one's "cancelled" summary is
---expected and not shown (the plugin has said what happened).
function M.replacing(client_id)
  superseded[client_id] = (superseded[client_id] or 0) + 1
  replace_said[client_id] = true
end

---Show the messages held for a client (or drop those the summary already says).
function M.flush(client_id, summary_message)
  local list = held[client_id]
  held[client_id] = nil
  local said = strip(summary_message)
  for _, m in ipairs(list or {}) do
    local text = strip(m[1])
    local dup = said ~= "" and (said:find(text, 1, true) or text:find(said, 1, true))
    if not dup then
      ui.notify(m[1], m[2])
    end
  end
end

---A review's summary, from the bigpicture/reviewFinished notification or from the review
---command's result (`from_result`); each review is reported once.
function M.summary(client_id, summary, from_result)
  if type(summary) ~= "table" or summary.status == nil then
    return
  end
  local k = key(summary)
  notified[client_id] = notified[client_id] or {}
  local seen = notified[client_id]
  if from_result then
    for i, x in ipairs(seen) do
      if x == k then
        table.remove(seen, i)
        return
      end
    end
  else
    table.insert(seen, k)
    if #seen > 20 then
      table.remove(seen, 1)
    end
  end
  ui.log(strip(summary.message), levels.INFO, "summary " .. tostring(summary.status))
  if summary.status == "cancelled" and (superseded[client_id] or 0) > 0 then
    superseded[client_id] = superseded[client_id] - 1
    return
  end
  superseded[client_id] = 0
  status.finished(client_id, summary)
  if summary.restored == true then
    return -- the last review, restored at the server's start: the statusline shows it
  end
  local shown = status.get(client_id).counts.total
  local text, level = status.summary_text(summary, shown)
  local replaced = summary.replaced
  if type(replaced) == "table" and not replace_said[client_id] then
    text = text
      .. string.format(" (it replaced the running %s review)", tostring(replaced.kind or "other"))
  end
  replace_said[client_id] = nil
  M.flush(client_id, summary.message)
  ui.notify(text, level, true)
end

function M.on_review_finished(_, summary, ctx)
  M.summary(ctx.client_id, summary, false)
end

function M.on_progress(err, result, ctx, cfg)
  local default = vim.lsp.handlers["$/progress"]
  if default then
    pcall(default, err, result, ctx, cfg)
  end
  local value = type(result) == "table" and result.value or nil
  if type(value) ~= "table" or value.kind == nil then
    return
  end
  status.progress(ctx.client_id, value)
  local text = strip(value.title or value.message or "")
  if value.kind ~= "begin" then
    text = strip(value.message or value.kind)
  end
  ui.log(text, levels.INFO, "progress " .. value.kind)
  if config.options.notify_progress and value.kind ~= "end" and text ~= "" then
    ui.notify("BigPicture: " .. text, levels.INFO)
  end
end

local MESSAGE_LEVELS = { levels.ERROR, levels.WARN, levels.INFO, levels.DEBUG }

function M.on_show_message(_, result, ctx)
  if type(result) ~= "table" or type(result.message) ~= "string" then
    return vim.NIL
  end
  local level = MESSAGE_LEVELS[result.type] or levels.INFO
  local text = result.message
  if not text:find("^BigPicture") then
    text = "BigPicture: " .. text
  end
  ui.log(strip(text), level, "server")
  local id = ctx and ctx.client_id
  if id and level == levels.ERROR then
    status.get(id).last_error = strip(text)
  end
  -- Information (progress steps, "review done", where the plan was written) is in the log,
  -- the statusline and the summary.
  if level ~= levels.ERROR and level ~= levels.WARN then
    return vim.NIL
  end
  if id and status.busy(id) then
    held[id] = held[id] or {}
    table.insert(held[id], { text, level })
    return vim.NIL
  end
  ui.notify(text, level)
  return vim.NIL
end

function M.on_log_message(err, result, ctx, cfg)
  local default = vim.lsp.handlers["window/logMessage"]
  if default then
    pcall(default, err, result, ctx, cfg)
  end
  if type(result) == "table" and type(result.message) == "string" then
    ui.log(result.message, MESSAGE_LEVELS[result.type] or levels.DEBUG, "log")
  end
  return vim.NIL
end

---bigpicture/findingsChanged (planned): the counts are taken from the diagnostics shown.
function M.on_findings_changed(_, _, ctx)
  if status.recount(ctx.client_id) then
    status.changed()
  end
end

---The client's handlers table.
function M.table()
  return {
    ["bigpicture/findingsChanged"] = M.on_findings_changed,
    ["$/progress"] = M.on_progress,
    ["bigpicture/reviewFinished"] = M.on_review_finished,
    ["window/showMessage"] = M.on_show_message,
    ["window/logMessage"] = M.on_log_message,
  }
end

---The client is gone: whatever it was holding is said now.
function M.forget(client_id)
  M.flush(client_id, nil)
  notified[client_id] = nil
  superseded[client_id] = nil
  replace_said[client_id] = nil
end

return M
