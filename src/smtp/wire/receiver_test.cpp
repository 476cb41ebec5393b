#include "smtp/wire/receiver.hpp"

#include <gtest/gtest.h>
