// A coded error thrown inside the addon and turned into a rejected Promise (with `code` and, where it
// applies, `tensor`) at the N-API boundary. Codes are main/contract/errors.ts's ErrorCodes.
#pragma once
#include <new>
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

/** What a worker caught: the coded error's parts, or vqgan.internal for anything else. */
struct CaughtError {
  std::string code;
  std::string tensor;
  std::string message;
};

/**
 * Runs `work` on a worker thread and turns anything it throws into a CaughtError, so no C++
 * exception ever reaches N-API. Returns false when it caught something.
 */
template <class Work>
bool runCatching(Work&& work, CaughtError& caught, const char* outOfMemoryMessage) {
  try {
    work();
    return true;
  } catch (const CodedError& e) {
    caught = {e.code(), e.tensor(), e.what()};
  } catch (const std::bad_alloc&) {
    caught = {"vqgan.internal", "", outOfMemoryMessage};
  } catch (const std::exception& e) {
    caught = {"vqgan.internal", "", e.what()};
  } catch (...) {
    caught = {"vqgan.internal", "", "unknown native error"};
  }
  return false;
}

}  // namespace vqgan
