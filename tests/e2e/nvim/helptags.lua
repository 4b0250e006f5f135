-- :helptags on the help file, then :help bigpicture from the generated tags.
local T = dofile(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":h") .. "/lib.lua")

T.run(function()
  local doc = T.input.doc_dir
  T.out.helptags_errors = {}
  vim.v.errmsg = ""
  local ok, err = pcall(vim.cmd, "helptags " .. vim.fn.fnameescape(doc))
  if not ok then
    table.insert(T.out.helptags_errors, tostring(err))
  elseif vim.v.errmsg ~= "" then
    table.insert(T.out.helptags_errors, vim.v.errmsg)
  end
  vim.opt.runtimepath:prepend(vim.fn.fnamemodify(doc, ":h"))
  local opened = pcall(vim.cmd, "help bigpicture")
  T.out.help_opened = opened and vim.fn.expand("%:t") == "bigpicture.txt"
  T.out.help_buftype = vim.bo.buftype
end)
