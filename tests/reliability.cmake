# reliability.cmake -- the cross-cutting reliability suite lives in tests/reliability/.
include(${CMAKE_CURRENT_SOURCE_DIR}/reliability/reliability.cmake)
