#include "smtp/wire/reply.hpp"

#include <gtest/gtest.h>
