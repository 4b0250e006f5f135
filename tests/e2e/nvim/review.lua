-- :BigPictureReview end to end: diagnostics, the statusline, a fix through the code action,
-- explain (float), dismiss, the plan buffer, usage, clear.
local T = dofile(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":h") .. "/lib.lua")
local I = T.input

local float_text, close_floats = T.float_text, T.close_floats

-- Pick a code action by title, whichever way this Neovim asks (vim.ui.select).
local function choose(title)
  vim.ui.select = function(items, opts, on_choice)
    for i, item in ipairs(items) do
      if opts.format_item(item):find(title, 1, true) then
        return on_choice(item, i)
      end
    end
    on_choice(nil, nil)
  end
end

local function code_action(title)
  if vim.fn.has("nvim-0.11") == 1 then
    vim.lsp.buf.code_action({
      apply = true,
      filter = function(a)
        return a.title:find(title, 1, true) == 1
      end,
    })
  else
    choose(title)
    vim.lsp.buf.code_action()
  end
end

T.run(function()
  local bp = T.setup_plugin()
  T.out.status_events = 0
  vim.api.nvim_create_autocmd("User", {
    pattern = "BigPictureStatus",
    callback = function()
      T.out.status_events = T.out.status_events + 1
    end,
  })
  local buf = T.open(I.file)
  T.wait("client ready", 15000, function()
    local c = T.client()
    return c ~= nil and c.initialized == true and vim.lsp.buf_is_attached(buf, c.id)
  end)
  local client = T.client()
  T.out.offset_encoding = client.offset_encoding
  T.out.position_encoding = client.server_capabilities.positionEncoding or vim.NIL
  T.out.root_dir = client.config.root_dir

  -- A second file of the same project reuses the client.
  local buf2 = T.open(I.other_file)
  T.wait("second buffer attached", 5000, function()
    return vim.lsp.buf_is_attached(buf2, client.id)
  end)
  T.out.clients = vim.tbl_count(bp.clients())
  T.out.status_before = bp.status(buf)
  -- A file outside any project gets no server and no status.
  local outside = vim.fn.bufadd(I.outside_file)
  vim.fn.bufload(outside)
  T.out.status_outside = bp.status(outside)
  vim.cmd("buffer " .. buf)

  vim.cmd("BigPicture review")
  T.wait_review("diagnostics", 20000, bp, buf, function()
    return #T.bp_diagnostics(buf) >= I.expect_findings
  end)
  T.wait("review finished", 5000, function()
    return T.finished(bp, buf, "workspace")
  end)
  T.out.diagnostics = T.bp_diagnostics(buf)
  T.out.status_after = bp.status(buf)
  T.out.log = T.log_entries()
  T.out.notes_after_review = vim.deepcopy(T.out.notes)

  -- The findings in the quickfix list: "[severity] title — message".
  vim.cmd("BigPicture quickfix")
  T.out.qflist = {}
  for _, item in ipairs(vim.fn.getqflist()) do
    table.insert(
      T.out.qflist,
      { text = item.text, lnum = item.lnum, col = item.col, type = item.type }
    )
  end
  T.out.qf_title = vim.fn.getqflist({ title = 1 }).title
  vim.cmd("cclose")
  vim.cmd("buffer " .. buf)

  -- Explain the finding on fix_lnum through its code action (a client-side command: the
  -- answer opens in a float).
  vim.api.nvim_win_set_cursor(0, { I.fix_lnum + 1, I.fix_col })
  code_action("Explain this finding")
  T.wait("explanation float from the code action", 15000, function()
    return float_text() ~= nil
  end)
  T.out.float_code_action = float_text()
  close_floats()

  -- Apply the fix of the finding on fix_lnum through the code action.
  local before = T.buffer_text(buf)
  vim.api.nvim_win_set_cursor(0, { I.fix_lnum + 1, I.fix_col })
  code_action("Apply suggested fix")
  T.wait("fix applied", 10000, function()
    return T.buffer_text(buf) ~= before
  end)
  T.out.text_after_fix = T.buffer_text(buf)
  -- The counts follow what is shown (the server drops a fixed finding when its text changes).
  T.wait("status after the fix", 5000, function()
    return bp.state(buf).counts.total == #T.bp_diagnostics(buf)
  end)
  T.out.after_fix = { status = bp.status(buf), shown = #T.bp_diagnostics(buf) }

  -- Explain the finding on explain_lnum (float).
  vim.api.nvim_win_set_cursor(0, { I.explain_lnum + 1, I.explain_col })
  vim.cmd("BigPictureExplain")
  T.wait("explanation float", 15000, function()
    return float_text() ~= nil
  end)
  T.out.float = float_text()
  close_floats()

  -- Dismiss it as won't-fix.
  vim.api.nvim_win_set_cursor(0, { I.explain_lnum + 1, I.explain_col })
  local _, dismissed = bp.finding_at_cursor(buf)
  T.out.dismissed_id = dismissed
  vim.cmd("BigPictureDismiss wont-fix")
  T.wait("dismissed", 10000, function()
    for _, d in ipairs(T.bp_diagnostics(buf)) do
      if d.id == dismissed then
        return false
      end
    end
    return T.has_note("dismissed") ~= nil
  end)
  T.out.after_dismiss = T.bp_diagnostics(buf)
  T.wait("status after the dismissal", 5000, function()
    return bp.state(buf).counts.total == #T.bp_diagnostics(buf)
  end)
  T.out.status_after_dismiss = bp.status(buf)

  vim.cmd("BigPicture plan")
  T.out.plan = T.scratch("bigpicture://plan")

  vim.cmd("BigPictureUsage")
  T.out.usage = T.scratch("bigpicture://usage")

  vim.cmd("BigPicture info")
  T.out.info = T.scratch("bigpicture://info")

  vim.cmd("buffer " .. buf)
  vim.cmd("BigPicture clear")
  T.wait("cleared", 10000, function()
    return #T.bp_diagnostics(buf) == 0 and T.has_note("cleared") ~= nil
  end)
  T.wait("status after the clear", 5000, function()
    return bp.state(buf).counts.total == 0
  end)
  T.out.status_after_clear = bp.status(buf)
end)
