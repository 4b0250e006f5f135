-- What the user runs: reviews (with the cost confirmation) and their retry, the plan, cancel,
-- clear, dismiss, explain, usage, the quickfix list, info, restart and the log; the :BigPicture
-- command and its completion; and the client-side commands code actions call.

local client = require("bigpicture.client")
local config = require("bigpicture.config")
local handlers = require("bigpicture.handlers")
local status = require("bigpicture.status")
local ui = require("bigpicture.ui")

local M = {}

local levels = vim.log.levels

M.REVIEW_COMMANDS = {
  workspace = "bigpicture.reviewWorkspace",
  changes = "bigpicture.reviewChanges",
  file = "bigpicture.reviewFile",
  -- every file whole, in shards that each fit the window (one request per shard)
  full = "bigpicture.reviewAllShards",
}
M.KINDS = { "workspace", "changes", "file", "full" }
M.REASONS = { "false-positive", "wont-fix" }

local function current(bufnr)
  return (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
end

local function money(usd)
  if usd < 0.1 then
    return string.format("$%.4f", usd)
  end
  return string.format("$%.2f", usd)
end

local function thousands(n)
  local s = tostring(math.floor(tonumber(n) or 0))
  local out = s:reverse():gsub("(%d%d%d)", "%1,"):reverse()
  return (out:gsub("^,", ""))
end

-- --------------------------------------------------------------------------- reviews

---The kind of review running for a client, as far as the plugin knows.
local function running_kind(client_id)
  local s = status.get(client_id)
  if s.inflight > 0 and s.inflight_kind then
    return s.inflight_kind
  end
  return tostring(s.title or ""):match("reviewing the (%a+)") or "other"
end

local last_sent = {} -- client id -> { kind, arguments } of the last review sent (for retry)

local function send_review(c, bufnr, kind, arguments)
  last_sent[c.id] = { kind = kind, arguments = arguments }
  if status.busy(c.id) then
    -- The server cancels the running review to start this one: say so (its request may
    -- already have been paid for), and do not report its "cancelled" as news.
    local was = running_kind(c.id)
    handlers.replacing(c.id)
    ui.notify(
      string.format("BigPicture: cancelled the running %s review to start this one", was),
      levels.WARN,
      true
    )
  end
  status.inflight(c.id, 1, kind)
  client.execute(c, bufnr, M.REVIEW_COMMANDS[kind], arguments, function(summary)
    status.inflight(c.id, -1)
    handlers.summary(c.id, summary, true)
  end, function()
    status.inflight(c.id, -1)
  end)
end

---With `confirm_above` set: the estimate first; over the server's maxCostPerReview the review is
---refused (nothing is offered), over confirm_above the user is asked.
local function confirm_then_review(c, bufnr, kind, arguments)
  local limit_usd = config.options.confirm_above
  local est_args = { kind }
  if kind == "file" then
    est_args[2] = arguments[1]
  end
  client.execute(c, bufnr, "bigpicture.estimate", est_args, function(est)
    local cost = type(est) == "table" and (est.costNowUsd or est.costFirstUsd) or nil
    if type(cost) ~= "number" then
      -- No estimate (nothing to review, a bad setting...): the review itself says why.
      return send_review(c, bufnr, kind, arguments)
    end
    local max = type(est.maxCostPerReview) == "number" and est.maxCostPerReview
      or config.setting("maxCostPerReview")
    if type(max) == "number" and cost > max then
      ui.notify(
        string.format(
          "BigPicture: %s review not sent: estimated %s is over maxCostPerReview (%s); raise the maxCostPerReview setting or send less",
          kind,
          money(cost),
          money(max)
        ),
        levels.WARN,
        true
      )
      return
    end
    if cost <= limit_usd then
      return send_review(c, bufnr, kind, arguments)
    end
    local prompt = string.format(
      "BigPicture: the %s review is estimated at %s (%d files, %s tokens). Send it?",
      kind,
      money(cost),
      tonumber(est.files) or 0,
      thousands(est.inputTokens)
    )
    ui.select({ "Review", "Cancel" }, prompt, function(choice)
      if choice == "Review" then
        send_review(c, bufnr, kind, arguments)
      else
        ui.notify("BigPicture: review not sent", levels.INFO, true)
      end
    end)
  end)
end

---Start a review: kind "workspace" (default), "changes", "file" (the buffer's file) or "full"
---(the whole repository, every file whole, in shards).
function M.review(kind, bufnr)
  kind = (kind and kind ~= "") and kind or "workspace"
  bufnr = current(bufnr)
  if not M.REVIEW_COMMANDS[kind] then
    ui.notify("BigPicture: unknown review kind '" .. tostring(kind) .. "'", levels.ERROR, true)
    return
  end
  local arguments
  if kind == "file" then
    if not client.buf_path(bufnr) then
      ui.notify("BigPicture: this buffer is not a file", levels.WARN, true)
      return
    end
    arguments = { vim.uri_from_bufnr(bufnr) }
  end
  client.with(bufnr, function(c)
    if type(config.options.confirm_above) == "number" then
      confirm_then_review(c, bufnr, kind, arguments)
    else
      send_review(c, bufnr, kind, arguments)
    end
  end)
end

---Send the last review again (the same kind and file), as after a rate limit: no estimate
---first, since it is the review already asked for.
function M.retry(bufnr)
  bufnr = current(bufnr)
  client.with(bufnr, function(c)
    local last = last_sent[c.id]
    if not last then
      ui.notify("BigPicture: no review to retry yet; run :BigPicture review", levels.WARN, true)
      return
    end
    send_review(c, bufnr, last.kind, last.arguments)
  end)
end

-- --------------------------------------------------------------------------- the other commands

---Show what a review would send (no network), read-only, in a scratch buffer.
function M.plan(kind, bufnr)
  kind = (kind and kind ~= "") and kind or "workspace"
  bufnr = current(bufnr)
  if not M.REVIEW_COMMANDS[kind] then
    ui.notify("BigPicture: unknown review kind '" .. tostring(kind) .. "'", levels.ERROR, true)
    return
  end
  local arguments = { kind }
  if kind == "file" then
    if not client.buf_path(bufnr) then
      ui.notify("BigPicture: this buffer is not a file", levels.WARN, true)
      return
    end
    arguments[2] = vim.uri_from_bufnr(bufnr)
  end
  client.with(bufnr, function(c)
    client.execute(c, bufnr, "bigpicture.showPlan", arguments, function(result)
      local text = type(result) == "table" and result.text or nil
      if type(text) ~= "string" then
        ui.notify("BigPicture: the server returned no plan", levels.WARN, true)
        return
      end
      vim.schedule(function()
        ui.show_scratch(text, "bigpicture://plan", "markdown")
      end)
    end)
  end)
end

function M.cancel(bufnr)
  bufnr = current(bufnr)
  client.with(bufnr, function(c)
    client.execute(c, bufnr, "bigpicture.cancel", nil, function(result)
      if type(result) == "table" and result.cancelled == false then
        ui.notify("BigPicture: no review is running", levels.INFO, true)
      end
    end)
  end)
end

function M.clear(bufnr)
  bufnr = current(bufnr)
  client.with(bufnr, function(c)
    client.execute(c, bufnr, "bigpicture.clearFindings", nil, function(result)
      local n = type(result) == "table" and tonumber(result.cleared) or 0
      ui.notify(
        string.format("BigPicture: cleared the findings of %s", status.plural(n, "file")),
        levels.INFO,
        true
      )
    end)
  end)
end

function M.usage(bufnr)
  bufnr = current(bufnr)
  client.with(bufnr, function(c)
    client.execute(c, bufnr, "bigpicture.usage", nil, function(result)
      local text = type(result) == "table" and result.text or nil
      if type(text) ~= "string" or text == "" then
        ui.notify("BigPicture: no usage recorded yet", levels.INFO, true)
        return
      end
      vim.schedule(function()
        ui.show_scratch(text, "bigpicture://usage", "markdown")
      end)
    end)
  end)
end

---The finding a diagnostic carries: id, severity, title and message (the diagnostic's message is
---"title\n\nmessage", perhaps after "[severity] " or "(approximate location) ").
function M.finding_of(d)
  local lsp = d.user_data and d.user_data.lsp
  local data = type(lsp) == "table" and type(lsp.data) == "table" and lsp.data or {}
  local text = tostring(d.message or "")
  local first, rest = text:match("^([^\n]*)\n(.*)$")
  first = first or text
  rest = rest or ""
  local title = first:gsub("^%[%a+%]%s*", ""):gsub("^%(approximate location%)%s*", "")
  local message = rest:gsub("^%s+", ""):gsub("%s*\n%s*", " "):gsub("%s+$", "")
  return {
    id = data.id,
    severity = data.severity,
    category = data.category,
    title = title,
    message = message,
    approximate = data.approximate == true,
  }
end

---The BigPicture diagnostic under the cursor (its range holds the cursor; else the first on
---the cursor's line), most severe first.
---@return table|nil diagnostic, string|nil finding id
function M.finding_at_cursor(bufnr, winid)
  bufnr = current(bufnr)
  winid = winid or vim.api.nvim_get_current_win()
  local cursor = vim.api.nvim_win_get_cursor(winid)
  local row, col = cursor[1] - 1, cursor[2]
  local on_line, under = {}, {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    local id = M.finding_of(d).id
    if d.source == client.NAME and id then
      local end_lnum = d.end_lnum or d.lnum
      if row >= d.lnum and row <= end_lnum then
        table.insert(on_line, d)
        local after_start = row > d.lnum or col >= d.col
        local before_end = row < end_lnum
          or col < (d.end_col or d.col)
          or (d.end_col or d.col) == d.col
        if after_start and before_end then
          table.insert(under, d)
        end
      end
    end
  end
  local pick = #under > 0 and under or on_line
  table.sort(pick, function(a, b)
    if a.severity ~= b.severity then
      return a.severity < b.severity
    end
    return a.col < b.col
  end)
  local d = pick[1]
  if not d then
    return nil, nil
  end
  return d, M.finding_of(d).id
end

local function run_dismiss(c, bufnr, id, reason)
  client.execute(c, bufnr, "bigpicture.dismissFinding", { id, reason }, function(result)
    if type(result) == "table" and result.dismissed == vim.NIL then
      return -- the server said why
    end
    local label = reason == "wont-fix" and "won't fix" or reason:gsub("%-", " ")
    ui.notify(string.format("BigPicture: finding dismissed (%s)", label), levels.INFO, true)
  end)
end

---The explanation float: the finding's title, the answer, what it cost.
function M.explanation_text(result, finding)
  local title = type(result.title) == "string" and result.title ~= "" and result.title
    or (finding and finding.title)
    or "Finding"
  local parts = { "# " .. title, "", result.answer }
  local cost = tonumber(result.costUsd)
  if cost then
    local line = "Cost: " .. money(cost)
    local share = tonumber(result.cacheReadShare)
    if share and share > 0 then
      line = line .. string.format(" (%d%% read from the cache)", math.floor(share * 100 + 0.5))
    end
    table.insert(parts, "")
    table.insert(parts, "---")
    table.insert(parts, line)
  end
  return table.concat(parts, "\n")
end

local function run_explain(c, bufnr, id, finding)
  local s = status.get(c.id)
  s.activity = "explaining a finding"
  status.changed()
  client.execute(c, bufnr, "bigpicture.explainFinding", { id }, function(result)
    s.activity = nil
    status.changed()
    local answer = type(result) == "table" and result.answer or nil
    if type(answer) ~= "string" or answer == "" then
      if not (type(result) == "table" and result.error) then
        ui.notify("BigPicture: no explanation came back", levels.WARN, true)
      end
      return
    end
    vim.schedule(function()
      ui.show_float(M.explanation_text(result, finding), "bigpicture-explain")
    end)
  end, function()
    s.activity = nil
    status.changed()
  end)
end

---Dismiss the finding under the cursor; reason "false-positive" (default) or "wont-fix".
function M.dismiss(reason, bufnr)
  reason = (reason and reason ~= "") and reason or "false-positive"
  if not vim.tbl_contains(M.REASONS, reason) then
    ui.notify("BigPicture: reason must be false-positive or wont-fix", levels.ERROR, true)
    return
  end
  bufnr = current(bufnr)
  local _, id = M.finding_at_cursor(bufnr)
  if not id then
    ui.notify("BigPicture: no finding under the cursor", levels.WARN, true)
    return
  end
  client.with(bufnr, function(c)
    run_dismiss(c, bufnr, id, reason)
  end)
end

---Ask the model about the finding under the cursor; the answer opens in a floating window.
function M.explain(bufnr)
  bufnr = current(bufnr)
  local d, id = M.finding_at_cursor(bufnr)
  if not id then
    ui.notify("BigPicture: no finding under the cursor", levels.WARN, true)
    return
  end
  client.with(bufnr, function(c)
    run_explain(c, bufnr, id, M.finding_of(d))
  end)
end

local QF_TYPES = { "E", "W", "I", "N" }

---Every finding shown, as quickfix items: "[severity] title — message".
function M.quickfix_items()
  local items = {}
  for _, id in pairs(client.list()) do
    for _, d in ipairs(status.diagnostics(id)) do
      local f = M.finding_of(d)
      local text = f.title
      if f.message ~= "" then
        text = text .. " — " .. f.message
      end
      if f.severity then
        text = "[" .. f.severity .. "] " .. text
      end
      table.insert(items, {
        bufnr = d.bufnr,
        lnum = d.lnum + 1,
        col = d.col + 1,
        end_lnum = (d.end_lnum or d.lnum) + 1,
        end_col = (d.end_col or d.col) + 1,
        text = text,
        type = QF_TYPES[d.severity] or "E",
      })
    end
  end
  table.sort(items, function(a, b)
    local na, nb = vim.api.nvim_buf_get_name(a.bufnr), vim.api.nvim_buf_get_name(b.bufnr)
    if na ~= nb then
      return na < nb
    end
    if a.lnum ~= b.lnum then
      return a.lnum < b.lnum
    end
    return a.col < b.col
  end)
  return items
end

---The findings in the quickfix list (opened when there are any).
function M.quickfix()
  local items = M.quickfix_items()
  vim.fn.setqflist({}, " ", { title = "BigPicture findings", items = items })
  if #items == 0 then
    ui.notify("BigPicture: no findings shown", levels.INFO, true)
    return
  end
  vim.cmd("copen")
end

function M.info()
  vim.schedule(function()
    ui.show_scratch(require("bigpicture.health").info_text(), "bigpicture://info", "markdown")
  end)
end

function M.log()
  local lines =
    { "# BigPicture log (newest last)", "", "Neovim's LSP log: " .. vim.lsp.get_log_path(), "" }
  for _, e in ipairs(ui.history) do
    table.insert(
      lines,
      string.format("%s %-5s %s: %s", e.time, e.level, e.source, e.text:gsub("\n", " "))
    )
  end
  vim.schedule(function()
    local buf, win = ui.show_scratch(table.concat(lines, "\n"), "bigpicture://log", "bigpicturelog")
    pcall(vim.api.nvim_win_set_cursor, win, { vim.api.nvim_buf_line_count(buf), 0 })
  end)
end

function M.restart()
  client.restart(function(n)
    ui.notify(
      string.format("BigPicture: restarted %s", status.plural(n, "server")),
      levels.INFO,
      true
    )
  end)
end

-- --------------------------------------------------------------------------- :BigPicture

M.subcommands = {
  review = { run = M.review, args = M.KINDS },
  changes = {
    run = function()
      M.review("changes")
    end,
  },
  file = {
    run = function()
      M.review("file")
    end,
  },
  ["review-all"] = {
    run = function()
      M.review("full")
    end,
  },
  retry = { run = M.retry },
  plan = { run = M.plan, args = M.KINDS },
  cancel = { run = M.cancel },
  clear = { run = M.clear },
  dismiss = { run = M.dismiss, args = M.REASONS },
  explain = { run = M.explain },
  usage = { run = M.usage },
  quickfix = { run = M.quickfix },
  info = { run = M.info },
  restart = { run = M.restart },
  log = { run = M.log },
}

function M.names()
  local names = vim.tbl_keys(M.subcommands)
  table.sort(names)
  return names
end

---:BigPicture {subcommand} [arg]
function M.run(fargs)
  local name = fargs[1] or "info"
  local sub = M.subcommands[name]
  if not sub then
    ui.notify(
      "BigPicture: unknown subcommand '" .. name .. "'; one of: " .. table.concat(M.names(), ", "),
      levels.ERROR,
      true
    )
    return
  end
  if fargs[2] and not sub.args then
    ui.notify("BigPicture: " .. name .. " takes no argument", levels.ERROR, true)
    return
  end
  sub.run(fargs[2])
end

---Completion for :BigPicture.
function M.complete(arglead, cmdline)
  local words = vim.split(cmdline:gsub("^%s*%S+%s*", ""), "%s+", { trimempty = false })
  local candidates
  if #words <= 1 then
    candidates = M.names()
  else
    local sub = M.subcommands[words[1]]
    candidates = (sub and sub.args and #words == 2) and sub.args or {}
  end
  return vim.tbl_filter(function(c)
    return c:sub(1, #arglead) == arglead
  end, candidates)
end

-- --------------------------------------------------------------------------- code actions

---Commands coming from code actions run here (not on the server directly), so that their
---results are shown: the explanation float, the review summary, the dismiss message.
function M.lsp_commands()
  return {
    ["bigpicture.explainFinding"] = function(command, ctx)
      local c = client.alive(ctx.client_id)
      local args = command.arguments or {}
      if c and args[1] then
        local finding
        for _, d in ipairs(vim.diagnostic.get(ctx.bufnr)) do
          if M.finding_of(d).id == args[1] then
            finding = M.finding_of(d)
          end
        end
        run_explain(c, ctx.bufnr, args[1], finding)
      end
    end,
    ["bigpicture.dismissFinding"] = function(command, ctx)
      local c = client.alive(ctx.client_id)
      local args = command.arguments or {}
      if c and args[1] then
        run_dismiss(c, ctx.bufnr, args[1], args[2] or "false-positive")
      end
    end,
    ["bigpicture.reviewFile"] = function(command, ctx)
      local c = client.alive(ctx.client_id)
      if c then
        send_review(c, ctx.bufnr, "file", command.arguments)
      end
    end,
  }
end

return M
