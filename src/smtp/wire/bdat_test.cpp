#include "smtp/wire/bdat.hpp"

#include <gtest/gtest.h>
