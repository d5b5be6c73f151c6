// A coded error thrown inside the addon and turned into a rejected Promise (with `code` and, where it
// applies, `tensor`) at the N-API boundary. Codes are main/contract/errors.ts's ErrorCodes.
#pragma once
#include <stdexcept>
#include <string>

namespace vqgan {

class CodedError : public std::runtime_error {
 public:
  CodedError(std::string code, const std::string& message, std::string tensor = "")
      : std::runtime_error(message), code_(std::move(code)), tensor_(std::move(tensor)) {}
  const std::string& code() const { return code_; }
  const std::string& tensor() const { return tensor_; }

 private:
  std::string code_;
  std::string tensor_;
};

}  // namespace vqgan
