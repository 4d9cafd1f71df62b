// Expected failures as values: Status (ok or an Error) and Result<T> (a value or an Error).
// Exceptions are used only at I/O and parsing boundaries and converted to an Error there.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace kilonas::core {

// A failure with a human-readable message that names the file/key/op concerned.
struct Error {
  std::string message;
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  static Status Ok() { return Status(); }
  static Status Fail(std::string message) { return Status(Error{std::move(message)}); }
  Status(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return !error_.has_value(); }
  const std::string& message() const {
    static const std::string kEmpty;
    return error_ ? error_->message : kEmpty;
  }
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : data_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T& value() & { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  const Error& error() const { return std::get<Error>(data_); }
  Status status() const { return ok() ? Status::Ok() : Status(error()); }

 private:
  std::variant<T, Error> data_;
};

}  // namespace kilonas::core
