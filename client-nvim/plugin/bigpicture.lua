-- User commands for BigPicture. Nothing starts until require("bigpicture").setup() is called
-- (the commands start the project's server on demand when it is not running yet).

if vim.g.loaded_bigpicture then
  return
end
vim.g.loaded_bigpicture = true

local function bp()
  return require("bigpicture")
end

local command = vim.api.nvim_create_user_command

command("BigPictureReview", function()
  bp().review("workspace")
end, { desc = "BigPicture: review the whole workspace" })

command("BigPictureReviewChanges", function()
  bp().review("changes")
end, { desc = "BigPicture: review uncommitted changes (or since baseBranch)" })

command("BigPictureReviewFile", function()
  bp().review("file")
end, { desc = "BigPicture: review the current file, with the workspace as context" })

command("BigPicturePlan", function(opts)
  bp().plan(opts.args ~= "" and opts.args or "workspace")
end, {
  nargs = "?",
  complete = function()
    return { "workspace", "changes", "file" }
  end,
  desc = "BigPicture: show what a review would send (no network)",
})

command("BigPictureCancel", function()
  bp().cancel()
end, { desc = "BigPicture: cancel the running review" })

command("BigPictureClear", function()
  bp().clear()
end, { desc = "BigPicture: clear all findings" })

command("BigPictureDismiss", function(opts)
  bp().dismiss(opts.args ~= "" and opts.args or "false-positive")
end, {
  nargs = "?",
  complete = function()
    return { "false-positive", "wont-fix" }
  end,
  desc = "BigPicture: dismiss the finding under the cursor",
})

command("BigPictureExplain", function()
  bp().explain()
end, { desc = "BigPicture: explain the finding under the cursor" })

command("BigPictureUsage", function()
  bp().usage()
end, { desc = "BigPicture: show spending and cache use" })
