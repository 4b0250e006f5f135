-- What each BigPicture client is doing, for the statusline and the summary messages.
--
-- Fed by $/progress (while a review runs), by the bigpicture/reviewFinished notification
-- (every review, including those the server starts on save), by command results, and by
-- DiagnosticChanged: the finding counts are those shown now (after a fix, a dismissal or a
-- clear too), never the stale count of the last review.

local compat = require("bigpicture.compat")

local M = {}

local uv = vim.uv or vim.loop

---@class BigPictureState
---@field running boolean
---@field title string|nil
---@field message string|nil
---@field percentage number|nil
---@field last table|nil        the last ReviewSummary
---@field finished_at integer|nil  uv.now() when `last` arrived
---@field progressing boolean work-done progress begun and not ended
---@field inflight integer      review commands sent and not answered yet
---@field inflight_kind string|nil  the kind of the latest of them
---@field counts table          { total = n, bySeverity = { high = n, ... } } shown now
---@field last_error string|nil the last error the server reported
---@field activity string|nil   a request other than a review in progress ("explaining a finding")

---@type table<integer, BigPictureState>
M.by_client = {}
M.last_client = nil

local SEVERITIES = { "critical", "high", "medium", "low", "info" }
-- vim.diagnostic severities back to ours, for diagnostics without data.severity.
local FROM_VIM = { "high", "medium", "low", "info" }

function M.get(client_id)
  local s = M.by_client[client_id]
  if not s then
    s = {
      running = false,
      progressing = false,
      inflight = 0,
      counts = { total = 0, bySeverity = {} },
    }
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

---The BigPicture diagnostics a client has published, in every buffer.
function M.diagnostics(client_id)
  local ok, ns = pcall(compat.namespace, client_id)
  if not ok or not ns then
    return {}
  end
  return vim.diagnostic.get(nil, { namespace = ns })
end

---Recount the findings shown for a client; true when the counts changed.
function M.recount(client_id)
  local s = M.get(client_id)
  local by, total = {}, 0
  for _, d in ipairs(M.diagnostics(client_id)) do
    local lsp = d.user_data and d.user_data.lsp
    local data = type(lsp) == "table" and lsp.data or nil
    local sev = type(data) == "table" and data.severity or FROM_VIM[d.severity] or "info"
    by[sev] = (by[sev] or 0) + 1
    total = total + 1
  end
  local changed = total ~= s.counts.total or not vim.deep_equal(by, s.counts.bySeverity)
  s.counts = { total = total, bySeverity = by }
  return changed
end

local function settle(s)
  s.running = s.progressing or s.inflight > 0
end

---A review command was sent (+1) or answered (-1).
function M.inflight(client_id, delta, kind)
  local s = M.get(client_id)
  s.inflight = math.max(s.inflight + delta, 0)
  if delta > 0 then
    s.inflight_kind = kind
    s.title = "reviewing " .. tostring(kind)
    s.message = nil
    s.percentage = nil
    M.last_client = client_id
  end
  settle(s)
  M.changed()
end

---A $/progress value (begin/report/end).
function M.progress(client_id, value)
  local s = M.get(client_id)
  M.last_client = client_id
  if value.kind == "begin" then
    s.progressing = true
    s.title = value.title
    s.message = value.message
    s.percentage = value.percentage
  elseif value.kind == "report" then
    s.progressing = true
    s.message = value.message or s.message
    s.percentage = value.percentage or s.percentage
  elseif value.kind == "end" then
    s.progressing = false
    s.message = nil
    s.percentage = nil
  end
  settle(s)
  M.changed()
end

function M.finished(client_id, summary)
  local s = M.get(client_id)
  s.progressing = false
  settle(s)
  s.message = nil
  s.percentage = nil
  s.last = summary
  s.finished_at = uv.now()
  if summary.status == "failed" and type(summary.message) == "string" then
    s.last_error = summary.message
  end
  M.recount(client_id)
  M.last_client = client_id
  M.changed()
end

---Is a review running for this client, as far as the plugin knows (a review command sent and
---not answered, or work-done progress begun and not ended)?
function M.busy(client_id)
  local s = M.by_client[client_id]
  return s ~= nil and s.running
end

local function plural(n, word)
  return string.format("%d %s%s", n, word, n == 1 and "" or "s")
end
M.plural = plural

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

---How many findings from earlier reviews are still shown: the summary's `kept` when the server
---sends it (a count or a list), else `shown`.
local function kept_count(summary, shown)
  local k = summary.kept
  if type(k) == "number" then
    return k
  end
  if type(k) == "table" then
    return #k
  end
  return shown or 0
end

local function kept_text(n)
  if n <= 0 then
    return ""
  end
  if n == 1 then
    return "; no new findings; the 1 from the previous review is kept"
  end
  return string.format("; no new findings; the %d from the previous review are kept", n)
end

local LABELS = {
  failed = "failed",
  cancelled = "cancelled",
  ["nothing-to-review"] = "had nothing to review",
  ["over-budget"] = "not sent (over budget)",
}

-- Errors where sending the same review again may work (as in the VS Code client).
local RETRYABLE = {
  ["rate-limited"] = true,
  overloaded = true,
  ["connection-failed"] = true,
  ["stream-broken"] = true,
  ["api-error"] = true,
  internal = true,
}

---Would sending the same review again help (a 429, 529, network failure...)?
function M.retryable(summary)
  return summary.retryable == true or RETRYABLE[summary.error] == true
end

---"rate limited after 3 attempts; try again in 41 s": what a 429 means, in words.
function M.rate_limited_text(summary)
  local text = "rate limited"
  local attempts = num(summary.attempts)
  if attempts and attempts > 1 then
    text = text .. string.format(" after %d attempts", attempts)
  end
  local wait = num(summary.retryAfter)
  if wait and wait > 0 then
    return text .. string.format("; try again in %d s", math.ceil(wait))
  end
  return text .. "; try again in a minute"
end

---The one-line message for a ReviewSummary, and the vim.log level to show it at. `shown`: the
---findings shown now (for what a failed review keeps).
function M.summary_text(summary, shown)
  local levels = vim.log.levels
  local kind = summary.kind and (tostring(summary.kind) .. " review") or "review"
  local status = summary.status
  local message = type(summary.message) == "string" and summary.message or ""
  message = message:gsub("^BigPicture:%s*", "")
  local n = num(summary.findings) or 0
  local cost = num(summary.costUsd)
  if status == "ok" then
    local text = string.format("BigPicture: %s: %s", kind, plural(n, "finding"))
    local sev = M.by_severity_text(summary.bySeverity)
    if sev ~= "" then
      text = text .. " (" .. sev .. ")"
    end
    if cost then
      text = text .. string.format(", $%.4f", cost)
    end
    local share = num(summary.cacheReadShare)
    if share and share > 0 then
      text = text .. string.format(", %d%% cached", math.floor(share * 100 + 0.5))
    end
    return text, levels.INFO
  end
  if status == "incomplete" then
    local reason = message:match("%((.-)%)")
    local text = string.format("BigPicture: %s incomplete", kind)
    if reason then
      text = text .. " (" .. reason .. ")"
    end
    if n > 0 then
      text = text .. string.format(": %s recovered", plural(n, "finding"))
      if cost then
        text = text .. string.format(", $%.4f", cost)
      end
      return text .. string.format("; %d shown", shown or n), levels.WARN
    end
    return text .. kept_text(kept_count(summary, shown)), levels.WARN
  end
  local label = LABELS[status] or tostring(status)
  local text = string.format("BigPicture: %s %s", kind, label)
  -- What is kept is said once, below (the server's message may say it too).
  message = message:gsub(";%s*no new findings;.*$", "")
  if summary.error == "rate-limited" then
    message = M.rate_limited_text(summary)
  end
  -- "cancelled: review cancelled" says nothing more than "cancelled".
  if message ~= "" and not message:lower():find(tostring(status), 1, true) then
    text = text .. ": " .. message
  end
  if type(summary.retryAfter) == "number" and not message:find("try again in", 1, true) then
    text = text .. string.format(" (retry in %ds)", math.ceil(summary.retryAfter))
  end
  if status == "failed" and M.retryable(summary) then
    text = text .. " (:BigPicture retry)"
  end
  text = text .. kept_text(kept_count(summary, shown))
  local level = levels.WARN
  if status == "failed" then
    level = levels.ERROR
  elseif status == "nothing-to-review" or status == "cancelled" then
    level = levels.INFO
  end
  return text, level
end

---When the review whose findings were restored ran: "14:05" today, else "2026-01-02 14:05"
---(the server's message says it in local time: "3 findings from the review of <date> <time>").
function M.restored_when(summary)
  local message = type(summary.message) == "string" and summary.message or ""
  local date, time = message:match("review of (%d+%-%d+%-%d+) (%d+:%d+)")
  if not date then
    return "an earlier session"
  end
  return date == os.date("%Y-%m-%d") and time or (date .. " " .. time)
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
  if s.activity then
    return "BigPicture: " .. s.activity .. "…"
  end
  local shown = s.counts.total
  local last = s.last
  if not last then
    return shown > 0 and ("BigPicture: " .. plural(shown, "finding")) or "BigPicture"
  end
  if last.status == "ok" then
    local text = "BigPicture: " .. plural(shown, "finding")
    if last.restored == true then
      -- The last review's findings, shown again when the server started.
      return text .. string.format(" (review of %s)", M.restored_when(last))
    end
    local cost = num(last.costUsd)
    if cost then
      text = text .. string.format(" $%.2f", cost)
    end
    return text
  end
  local text = "BigPicture: " .. tostring(last.status)
  if shown > 0 then
    text = text .. string.format(" (%d kept)", shown)
  end
  return text
end

return M
