# Partner webhooks of kolo-events: URL and address checks, signing, the
# retry schedule and the HTTP sender (pure or outside-facing modules, no
# database), as a library the process and the tests link.
add_library(kolo_webhooks STATIC
  ${CMAKE_CURRENT_LIST_DIR}/webhook_url.c
  ${CMAKE_CURRENT_LIST_DIR}/webhook_addr.c
  ${CMAKE_CURRENT_LIST_DIR}/webhook_sign.c
  ${CMAKE_CURRENT_LIST_DIR}/webhook_backoff.c
  ${CMAKE_CURRENT_LIST_DIR}/webhook_send.c
  ${CMAKE_CURRENT_LIST_DIR}/webhooks.c)
target_include_directories(kolo_webhooks PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_compile_options(kolo_webhooks PRIVATE ${KOLO_WARNINGS})
target_link_libraries(kolo_webhooks PUBLIC kolo PkgConfig::CURL)
