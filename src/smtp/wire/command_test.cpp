#include "smtp/wire/command.hpp"

#include <gtest/gtest.h>
