// A committed .tflite test model (tests/tflite/data), read and imported.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "tests/support/source_path.h"
#include "tflite/import.h"
#include "tflite/tflite_model.h"

namespace kilonas::tflite::testing {

inline engine::Model ImportedTestModel(const std::string& file) {
  core::Result<Model> m = LoadModel(kilonas::testing::SourcePath("tests/tflite/data/" + file));
  EXPECT_TRUE(m.ok()) << m.error().message;
  return ImportModel(m.value(), file).value();
}

}  // namespace kilonas::tflite::testing
