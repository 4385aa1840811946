#pragma once
// Answers already paid for, kept in memory by the worker: when a job is retried or snoozed after
// some of its batches succeeded, those batches are not sent (and billed) again. The key is a
// SHA-256 of everything that determines the answer (provider URL and the whole request body:
// model, instructions, topics, page images, token limit), so a hit is the same question asked
// again. The model's raw answer is stored, not the parsed rows, because topic references are
// resolved against the caller's topic ids each time.

#include <array>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <tao/json/value.hpp>

namespace examq::ai {

class AnswerCache {
 public:
  using Key = std::array<std::uint8_t, 32>;

  // Holds at most `capacity` answers, dropping the least recently used; 0 disables it.
  explicit AnswerCache(std::size_t capacity);

  static Key key_for(std::string_view url, std::string_view body);

  std::optional<tao::json::value> find(const Key& key);
  void insert(const Key& key, tao::json::value answer);
  std::size_t size() const;

 private:
  struct KeyHash {
    std::size_t operator()(const Key& k) const;
  };
  using Entry = std::pair<Key, tao::json::value>;

  const std::size_t capacity_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;  // most recent first
  std::unordered_map<Key, std::list<Entry>::iterator, KeyHash> index_;
};

}  // namespace examq::ai
