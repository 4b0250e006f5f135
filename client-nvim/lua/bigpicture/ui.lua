-- How BigPicture shows things: messages, the plan buffer, the explanation float.

local M = {}

local uv = vim.uv or vim.loop

local recent = {} -- message text -> uv.now() when shown
local DEDUPE_MS = 3000

---vim.notify, scheduled (safe from any callback), without repeating the same text within a
---few seconds (progress and summaries can say the same thing twice), unless `always` (the
---answer to a command the user just ran).
function M.notify(text, level, always)
  local now = uv.now()
  local seen = recent[text]
  if seen and now - seen < DEDUPE_MS and not always then
    return
  end
  recent[text] = now
  vim.schedule(function()
    vim.notify(text, level or vim.log.levels.INFO, { title = "BigPicture" })
  end)
end

local function lines_of(text)
  return vim.split(text or "", "\n", { plain = true })
end

local plan_buf = nil

---Show the plan (markdown text) in a scratch buffer, reusing the previous plan window.
function M.show_scratch(text, name)
  if not (plan_buf and vim.api.nvim_buf_is_valid(plan_buf)) then
    plan_buf = vim.api.nvim_create_buf(false, true)
    vim.bo[plan_buf].buftype = "nofile"
    vim.bo[plan_buf].bufhidden = "hide"
    vim.bo[plan_buf].swapfile = false
    pcall(vim.api.nvim_buf_set_name, plan_buf, name or "bigpicture://plan")
  end
  vim.bo[plan_buf].modifiable = true
  vim.api.nvim_buf_set_lines(plan_buf, 0, -1, false, lines_of(text))
  vim.bo[plan_buf].modifiable = false
  vim.bo[plan_buf].filetype = "markdown"
  local win = vim.fn.bufwinid(plan_buf)
  if win == -1 then
    vim.cmd("botright split")
    win = vim.api.nvim_get_current_win()
    vim.api.nvim_win_set_buf(win, plan_buf)
  else
    vim.api.nvim_set_current_win(win)
  end
  return plan_buf, win
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

return M
