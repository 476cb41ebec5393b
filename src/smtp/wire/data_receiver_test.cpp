#include "smtp/wire/data_receiver.hpp"

#include <gtest/gtest.h>
