-- What the user is told when nothing can run: no server executable, no project, no finding.
local T = dofile(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":h") .. "/lib.lua")
local I = T.input

local function messages_since(since)
  local out = {}
  for i = since + 1, #T.out.notes do
    table.insert(out, T.out.notes[i])
  end
  return out
end

T.run(function()
  local bp = T.setup_plugin({}, { cmd = { I.missing_cmd, "serve" } })
  T.open(I.project_file)
  T.open(I.project_file_2)
  T.wait("missing server reported", 5000, function()
    return T.has_note("is not executable") ~= nil
  end)
  T.out.missing = messages_since(0)
  T.out.clients = vim.tbl_count(bp.clients())

  -- A command in the project says again why nothing runs.
  local since = #T.out.notes
  vim.cmd("BigPictureReview")
  T.wait_note("missing server, on a command", 5000, since, "is not executable")
  T.out.missing_on_command = messages_since(since)

  since = #T.out.notes
  T.open(I.outside_file)
  vim.cmd("BigPictureReview")
  T.wait_note("not in a project", 5000, since, "not in a project")
  T.out.outside = messages_since(since)

  since = #T.out.notes
  vim.cmd("BigPictureDismiss")
  T.wait_note("no finding", 5000, since, "no finding under the cursor")
  since = #T.out.notes
  vim.cmd("BigPictureDismiss maybe")
  T.wait_note("bad reason", 5000, since, "false%-positive or wont%-fix")
  T.out.dismiss = messages_since(since)

  since = #T.out.notes
  vim.cmd("BigPicture frobnicate")
  T.wait_note("unknown subcommand", 5000, since, "unknown subcommand")
  vim.cmd("BigPicture cancel now")
  T.wait_note("no argument", 5000, since, "takes no argument")
  T.out.subcommands = messages_since(since)
end)
