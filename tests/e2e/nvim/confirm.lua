-- confirm_above: the estimate first; over maxCostPerReview the review is refused without asking,
-- over confirm_above the user is asked (vim.ui.select, stubbed here to record and choose).
local T = dofile(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":h") .. "/lib.lua")
local I = T.input

T.out.asked = {}
local answers = {}
vim.ui.select = function(items, opts, on_choice)
  table.insert(T.out.asked, { items = items, prompt = opts.prompt })
  local want = table.remove(answers, 1)
  for i, item in ipairs(items) do
    if item == want then
      return on_choice(item, i)
    end
  end
  on_choice(nil, nil)
end

local function estimate(client)
  local result
  local params = { command = "bigpicture.estimate", arguments = { "workspace" } }
  local function handler(err, res)
    result = err and { error = err.message } or res
  end
  if vim.fn.has("nvim-0.11") == 1 then
    client:request("workspace/executeCommand", params, handler, 0)
  else
    client.request("workspace/executeCommand", params, handler, 0)
  end
  T.wait("estimate", 10000, function()
    return result ~= nil
  end)
  return result
end

T.run(function()
  local bp = T.setup_plugin(I.settings, { confirm_above = I.confirm_above })
  local buf = T.open(I.file)
  local client = T.wait_ready(buf)

  -- 1. Over the server's maxCostPerReview: refused, nothing offered.
  local since = #T.out.notes
  vim.cmd("BigPicture review")
  T.out.refused = T.wait_note("refused", 10000, since, "not sent")
  T.out.asked_when_refused = #T.out.asked

  -- 2. Raise the limit (the server re-reads its settings: ask until its estimate shows it).
  bp.update_settings({ maxCostPerReview = I.raised_limit })
  T.wait("server has the new limit", 10000, function()
    return estimate(client).maxCostPerReview == I.raised_limit
  end)

  -- 3. Over confirm_above: asked; "Cancel" sends nothing.
  answers = { "Cancel" }
  since = #T.out.notes
  vim.cmd("BigPicture review")
  T.out.cancelled = T.wait_note("not sent after Cancel", 10000, since, "not sent")

  -- 4. Asked again; "Review" runs it.
  answers = { "Review" }
  vim.cmd("BigPicture review")
  T.wait_review("review after Review", 20000, bp, buf, function()
    return T.finished(bp, buf, "workspace")
  end)
  T.out.last = bp.state(buf).last
end)
