-- Workspace roots as the plugin finds them (its default markers), for a list of paths.
local T = dofile(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":h") .. "/lib.lua")

T.run(function()
  vim.opt.runtimepath:prepend(T.input.plugin_dir)
  local markers = require("bigpicture").config.root_markers
  local compat = require("bigpicture.compat")
  T.out.roots = {}
  for _, path in ipairs(T.input.paths) do
    T.out.roots[path] = compat.find_root(path, markers) or ""
  end
end)
