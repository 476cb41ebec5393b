#include "smtp/wire/auth_response.hpp"

#include <gtest/gtest.h>
