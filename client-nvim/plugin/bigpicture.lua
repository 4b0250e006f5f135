-- User commands for BigPicture. Nothing starts until require("bigpicture").setup() is called
-- (the commands start the project's server on demand when it is not running yet).
--
-- :BigPicture {subcommand} [arg], with completion; the older :BigPictureReview... commands
-- are kept as aliases.

if vim.g.loaded_bigpicture then
  return
end
vim.g.loaded_bigpicture = true

local function commands()
  return require("bigpicture.commands")
end

local command = vim.api.nvim_create_user_command

command("BigPicture", function(opts)
  commands().run(opts.fargs)
end, {
  nargs = "*",
  complete = function(arglead, cmdline)
    return commands().complete(arglead, cmdline)
  end,
  desc = "BigPicture: review|changes|file|retry|plan|cancel|clear|dismiss|explain|usage|quickfix|info|restart|log",
})

-- The older commands: name -> (subcommand, takes an argument, description).
local ALIASES = {
  { "BigPictureReview", "review", false, "review the whole workspace" },
  {
    "BigPictureReviewChanges",
    "changes",
    false,
    "review uncommitted changes (or since baseBranch)",
  },
  {
    "BigPictureReviewFile",
    "file",
    false,
    "review the current file, with the workspace as context",
  },
  { "BigPicturePlan", "plan", true, "show what a review would send (no network)" },
  { "BigPictureCancel", "cancel", false, "cancel the running review" },
  { "BigPictureClear", "clear", false, "clear all findings" },
  { "BigPictureDismiss", "dismiss", true, "dismiss the finding under the cursor" },
  { "BigPictureExplain", "explain", false, "explain the finding under the cursor" },
  { "BigPictureUsage", "usage", false, "show spending and cache use" },
}

for _, a in ipairs(ALIASES) do
  local name, sub, takes_arg, desc = a[1], a[2], a[3], a[4]
  command(name, function(opts)
    commands().run({ sub, opts.fargs[1] })
  end, {
    nargs = takes_arg and "?" or 0,
    complete = takes_arg and function(arglead)
      return commands().complete(arglead, "BigPicture " .. sub .. " " .. arglead)
    end or nil,
    desc = "BigPicture: " .. desc,
  })
end
