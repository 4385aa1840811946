#pragma once
// How the AI extraction backends are configured: which provider, where it is, which model, and how
// hard the worker may lean on it. Loaded once at start from the environment and validated then, so
// a missing key or a malformed URL stops the worker with a clear message instead of failing jobs.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "util/duration.h"

namespace examq::ai {

enum class Provider { openai, anthropic };

// EXAMQ_AI_STREAM: auto (the default) and on stream both providers' answers (local servers
// speaking OpenAI's format stream too); off sends plain requests, as before streaming existed.
enum class StreamMode { automatic, on, off };

// "openai" / "anthropic".
std::string_view provider_name(Provider p);

struct AiConfig {
  Provider provider = Provider::openai;
  // Without a trailing slash. OpenAI: requests go to <base_url>/chat/completions, so it normally
  // ends in /v1 (https://api.openai.com/v1, http://localhost:11434/v1 for Ollama). Anthropic:
  // requests go to <base_url>/v1/messages (https://api.anthropic.com).
  std::string base_url;
  std::string model;
  // Empty only for a custom base_url (a local server that needs no key): then no credential
  // header is sent. Never logged.
  std::string api_key;
  std::string api_key_source;  // the environment variable it came from, for logs; "" when none

  int pages_per_request = 8;     // consecutive batches share one page (see batch_plan.h)
  int requests_per_job = 4;      // in flight at once for one extract() call
  int requests_per_worker = 8;   // in flight at once across all calls of one AiExtractor
  // One HTTP request: streamed, the longest silence (no byte either way); not streamed, connect
  // to last byte. request_max_time caps a streamed request that trickles on (see streaming.h).
  util::Duration request_timeout = std::chrono::seconds(180);
  util::Duration request_max_time = std::chrono::minutes(15);
  StreamMode stream = StreamMode::automatic;
  util::Duration connect_timeout = std::chrono::seconds(10);
  util::Duration job_deadline = std::chrono::minutes(15);      // one extract() call, retries included
  // The answer's token limit. From the environment, the default is sized by the model's family
  // (model_family.h: 32768 for OpenAI's reasoning models, 8192 otherwise).
  int max_output_tokens = 8192;
  // Sampling temperature, sent only to models that accept one (model_family.h); nullopt sends
  // none (the provider's default, 1.0). 0 makes overlapping batches read a shared page alike.
  std::optional<double> temperature = 0.0;
  // OpenAI reasoning models only: "minimal", "low", "medium" or "high"; "" sends none (the
  // model's default, medium). Ignored for other models.
  std::string reasoning_effort;
  // A job of several requests whose stable prefix is cacheable sends its first request alone and
  // the rest once it has answered, so that they read the prompt cache it wrote (batch_runner.h).
  bool cache_warmup = true;
  int max_retries = 4;  // per request, for 429/529/5xx/timeouts/connection errors
  util::Duration retry_base_delay = std::chrono::seconds(1);  // backoff: base * 2^(n-1), capped,
  util::Duration retry_max_delay = std::chrono::seconds(60);  // with jitter; Retry-After wins if longer
  std::string anthropic_version = "2023-06-01";
  // The Chat Completions field that carries max_output_tokens: "max_completion_tokens" (OpenAI's
  // current name, required by its reasoning models) for api.openai.com, "max_tokens" (what
  // compatible servers know) otherwise.
  std::string openai_max_tokens_field = "max_completion_tokens";
  // Successful batch answers kept in memory (LRU) so that a job retried or snoozed on this worker
  // does not pay again for pages it already had read. 0 disables.
  int answer_cache_entries = 256;
  // Plain http:// is accepted for loopback hosts (a local server); for any other host it would
  // send the key and the pages unencrypted, so it needs this explicit opt-in.
  bool allow_insecure_http = false;
  // A PEM file of CA certificates to trust instead of the system's store, for a server with a
  // private CA. Verification itself is never turned off.
  std::string ca_file;
  // A rate-limited job is snoozed (no retry used) at most max_snoozes times and for at most
  // max_snooze_time in all; past either it fails (non-critical: the queue's retries apply) with
  // the provider's message. The counts are kept in the job's error_details (snoozes,
  // snoozed_seconds, see sql/0016) and start again after a failure.
  int max_snoozes = 10;
  util::Duration max_snooze_time = std::chrono::hours(1);
  // The server's context window in tokens (prompt and answer together), for a local server whose
  // context is small or cuts a long prompt silently (context_budget.h). nullopt: not checked.
  std::optional<int> context_tokens;
  // The tokens one page image costs the model, overriding the provider's estimate
  // (context_budget.h); for local models whose image cost differs (e.g. a fixed 256).
  std::optional<int> image_tokens;
};

// Reads a variable; nullopt when unset. Empty values count as unset.
using EnvLookup = std::function<std::optional<std::string>(const char* name)>;

// The process environment (getenv).
EnvLookup process_env();

// Reads the configuration:
//   EXAMQ_EXTRACTOR            text (default) | openai | anthropic
//   EXAMQ_AI_BASE_URL          default https://api.openai.com/v1 or https://api.anthropic.com
//   EXAMQ_AI_MODEL             required
//   EXAMQ_AI_API_KEY           else OPENAI_API_KEY / ANTHROPIC_API_KEY; required for the default URLs
//   EXAMQ_AI_PAGES_PER_REQUEST (8)   EXAMQ_AI_REQUESTS_PER_JOB (4)   EXAMQ_AI_REQUESTS_PER_WORKER (8)
//   EXAMQ_AI_REQUEST_TIMEOUT (180s)  EXAMQ_AI_CONNECT_TIMEOUT (10s)  EXAMQ_AI_JOB_DEADLINE (15m)
//   EXAMQ_AI_STREAM (auto; auto|on|off)  EXAMQ_AI_REQUEST_MAX_TIME (15m, streamed requests only)
//   EXAMQ_AI_MAX_OUTPUT_TOKENS (32768 for OpenAI reasoning models, else 8192) EXAMQ_AI_MAX_RETRIES (4)
//   EXAMQ_AI_TEMPERATURE (0; "default" sends none)  EXAMQ_AI_REASONING_EFFORT (none; minimal|low|medium|high)
//   EXAMQ_AI_RETRY_BASE_DELAY (1s)   EXAMQ_AI_RETRY_MAX_DELAY (60s)
//   EXAMQ_AI_ANTHROPIC_VERSION (2023-06-01)  EXAMQ_AI_MAX_TOKENS_FIELD (see above)
//   EXAMQ_AI_ANSWER_CACHE (256)      EXAMQ_AI_ALLOW_INSECURE_HTTP (false; true/false/1/0)
//   EXAMQ_AI_CA_FILE (the system's CA store)  EXAMQ_AI_CACHE_WARMUP (on; on/off)
//   EXAMQ_AI_MAX_SNOOZES (10)        EXAMQ_AI_MAX_SNOOZE_TIME (1h)
//   EXAMQ_AI_CONTEXT_TOKENS (unset; 1024 to 10000000)  EXAMQ_AI_IMAGE_TOKENS (unset; 1 to 100000)
// Durations use util::parse_duration ("500ms", "3m"). Returns nullopt when the extractor is
// "text" (no AI backend). Throws std::invalid_argument naming the variable and what is wrong, for
// an unknown extractor, a malformed number or duration, and everything validate() rejects.
std::optional<AiConfig> ai_config_from_env(const EnvLookup& env = process_env());

// Checks a configuration (also one built in code): a model is set; the base URL is http(s) with a
// host, no user info, query or fragment; http only for loopback hosts unless allowed; a key is set
// for the providers' own hosts; limits are positive and timeouts non-zero; a CA file is readable. Throws
// std::invalid_argument with a message a person can act on.
void validate(const AiConfig& config);

}  // namespace examq::ai
