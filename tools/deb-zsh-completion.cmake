# CPack (DEB) pre-build script: Debian's zsh reads vendor completions from /usr/share/zsh/vendor-completions,
# not from site-functions (which is for the local administrator), so the package moves _memwatch there.
file(GLOB_RECURSE memwatch_zsh_files "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/_memwatch")
list(FILTER memwatch_zsh_files INCLUDE REGEX "/zsh/site-functions/_memwatch$")
foreach(memwatch_zsh IN LISTS memwatch_zsh_files)
  get_filename_component(memwatch_site "${memwatch_zsh}" DIRECTORY)
  get_filename_component(memwatch_zsh_root "${memwatch_site}" DIRECTORY)
  file(MAKE_DIRECTORY "${memwatch_zsh_root}/vendor-completions")
  file(RENAME "${memwatch_zsh}" "${memwatch_zsh_root}/vendor-completions/_memwatch")
  file(REMOVE_RECURSE "${memwatch_site}")
endforeach()
