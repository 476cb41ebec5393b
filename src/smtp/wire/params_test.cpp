#include "smtp/wire/params.hpp"

#include <gtest/gtest.h>
