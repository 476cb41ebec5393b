#include "smtp/wire/path.hpp"

#include <gtest/gtest.h>
