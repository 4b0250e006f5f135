-- How BigPicture shows things: messages (and their log), scratch buffers, the explanation
-- float, the confirmation prompt.
--
-- Messages never cause a hit-enter prompt: with Neovim's own vim.notify (an echo), a message
-- longer than the echo area is cut to fit (the whole text stays in :BigPicture log) and never
-- spans lines. A notification plugin that replaced vim.notify gets the whole text.

local M = {}

local uv = vim.uv or vim.loop
local levels = vim.log.levels

local recent = {} -- message text -> uv.now() when shown
local DEDUPE_MS = 3000

-- --------------------------------------------------------------------------- the message log

local LOG_MAX = 500
M.history = {} -- { time, level, source, text }, oldest first

local LEVEL_NAMES = { [levels.ERROR] = "error", [levels.WARN] = "warn", [levels.INFO] = "info" }
LEVEL_NAMES[levels.DEBUG] = "debug"

---Keep a line in the plugin's log (what :BigPicture log shows). `source`: "shown" (a message
---shown to the user), "server" (window/showMessage), "progress", "log" (window/logMessage)...
function M.log(text, level, source)
  table.insert(M.history, {
    time = os.date("%H:%M:%S"),
    level = LEVEL_NAMES[level or levels.INFO] or "info",
    source = source or "plugin",
    text = tostring(text),
  })
  if #M.history > LOG_MAX then
    table.remove(M.history, 1)
  end
end

-- --------------------------------------------------------------------------- messages

---Is vim.notify still Neovim's own (an echo into the message area)?
local function builtin_notify()
  local ok, info = pcall(debug.getinfo, vim.notify, "S")
  return ok
    and info
    and type(info.source) == "string"
    and info.source:find("vim/_editor.lua", 1, true)
end

---One line that fits the echo area: newlines become spaces; cut with "…" when too long.
function M.fit(text, width)
  text = tostring(text):gsub("%s*\n+%s*", " ")
  width = width or vim.v.echospace
  if type(width) ~= "number" or width < 20 then
    width = math.max(vim.o.columns - 12, 20)
  end
  if vim.fn.strdisplaywidth(text) <= width then
    return text
  end
  local hint = " … (:BigPicture log)"
  local room = width - vim.fn.strdisplaywidth(hint)
  local chars = vim.fn.strchars(text)
  -- Drop characters from the end until it fits (display width, so CJK counts twice).
  local lo, hi = 0, chars
  while lo < hi do
    local mid = math.floor((lo + hi + 1) / 2)
    if vim.fn.strdisplaywidth(vim.fn.strcharpart(text, 0, mid)) <= room then
      lo = mid
    else
      hi = mid - 1
    end
  end
  local cut = vim.fn.strcharpart(text, 0, lo)
  return (cut:gsub("%s+$", "")) .. hint
end

local HL = { [levels.ERROR] = "ErrorMsg", [levels.WARN] = "WarningMsg" }

local function show_now(text, level)
  if builtin_notify() then
    vim.api.nvim_echo({ { M.fit(text), HL[level] } }, true, {})
  else
    vim.notify(text, level, { title = "BigPicture" })
  end
end

---Tell the user something, scheduled (safe from any callback), never repeating the same text
---within a few seconds unless `always` (the answer to a command the user just ran). Everything
---shown also goes to the log.
function M.notify(text, level, always)
  level = level or levels.INFO
  local now = uv.now()
  local seen = recent[text]
  if seen and now - seen < DEDUPE_MS and not always then
    return
  end
  recent[text] = now
  M.log(text, level, "shown")
  vim.schedule(function()
    show_now(text, level)
  end)
end

-- --------------------------------------------------------------------------- buffers, floats

local function lines_of(text)
  return vim.split(text or "", "\n", { plain = true })
end

local scratch = {} -- name -> bufnr

---Show text in a read-only scratch buffer named `name` (reused), in a split; returns buf, win.
function M.show_scratch(text, name, filetype)
  local buf = scratch[name]
  if not (buf and vim.api.nvim_buf_is_valid(buf)) then
    buf = vim.api.nvim_create_buf(false, true)
    vim.bo[buf].buftype = "nofile"
    vim.bo[buf].bufhidden = "hide"
    vim.bo[buf].swapfile = false
    pcall(vim.api.nvim_buf_set_name, buf, name)
    scratch[name] = buf
  end
  vim.bo[buf].modifiable = true
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines_of(text))
  vim.bo[buf].modifiable = false
  vim.bo[buf].readonly = true
  vim.bo[buf].filetype = filetype or "markdown"
  local win = vim.fn.bufwinid(buf)
  if win == -1 then
    vim.cmd("botright split")
    win = vim.api.nvim_get_current_win()
    vim.api.nvim_win_set_buf(win, buf)
  else
    vim.api.nvim_set_current_win(win)
  end
  return buf, win
end

---Markdown text in a floating window at the cursor; closes when the cursor moves.
function M.show_float(text, focus_id)
  local lines = lines_of(text)
  local width = 0
  for _, l in ipairs(lines) do
    width = math.max(width, vim.fn.strdisplaywidth(l))
  end
  return vim.lsp.util.open_floating_preview(lines, "markdown", {
    border = "rounded",
    focus_id = focus_id or "bigpicture",
    max_width = math.min(math.max(width, 40), math.floor(vim.o.columns * 0.8)),
    max_height = math.floor(vim.o.lines * 0.6),
  })
end

---Ask with vim.ui.select (so a picker plugin shows it); `on_choice(item)` (nil when dismissed).
function M.select(items, prompt, on_choice)
  vim.schedule(function()
    vim.ui.select(items, { prompt = prompt, kind = "bigpicture" }, function(item)
      on_choice(item)
    end)
  end)
end

return M
