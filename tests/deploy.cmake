# Deployment files: compose validated by docker-compose, the Dockerfile's build stage run for real.
find_program(DOCKER_COMPOSE docker-compose)
if(DOCKER_COMPOSE)
  add_test(NAME deploy_compose_config
           COMMAND ${DOCKER_COMPOSE} -f ${CMAKE_SOURCE_DIR}/docker-compose.yml config -q)
  set_tests_properties(deploy_compose_config PROPERTIES LABELS integration TIMEOUT 60)
endif()
add_test(NAME deploy_dockerfile_build COMMAND ${CMAKE_SOURCE_DIR}/tools/dockerfile_check.sh)
set_tests_properties(deploy_dockerfile_build PROPERTIES LABELS integration TIMEOUT 900 RUN_SERIAL TRUE)
