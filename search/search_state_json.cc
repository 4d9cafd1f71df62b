#include "core/json_util.h"
#include "search/candidate_json.h"
#include "search/search_state.h"

namespace kilonas::search {
namespace {}  // namespace

nlohmann::ordered_json CandidateToJson(const Candidate& c) {
  nlohmann::ordered_json doc = {{"subnet", nlohmann::ordered_json::parse(core::SubnetConfigToJson(c.config))},
                                {"accuracy", c.accuracy}};
  for (const Objective& o : Objectives()) {
    if (o.integral) {
      doc[o.key] = static_cast<int64_t>(o.used(c.resources));
    } else {
      doc[o.key] = o.used(c.resources);
    }
  }
  doc["latency_lut_misses"] = c.resources.latency_misses;
  doc["macs"] = c.resources.macs;
  return doc;
}

namespace {

Candidate CandidateFromJson(const nlohmann::json& doc, const std::string& path) {
  core::ObjectReader r(doc, path);
  Candidate c;
  core::Result<core::SubnetConfig> config =
      core::ParseSubnetConfigUnvalidated(r.Object("subnet").dump(), path + ".subnet");
  if (!config.ok()) throw core::JsonError(config.error().message);
  c.config = config.value();
  c.accuracy = r.Number("accuracy");
  for (const Objective& o : Objectives()) {
    o.set_used(c.resources, o.integral ? static_cast<double>(r.Int64(o.key)) : r.Number(o.key));
  }
  c.resources.latency_misses = r.IntInRange("latency_lut_misses", 0, 1 << 30);
  c.resources.macs = r.Int64("macs");
  r.RejectUnknownKeys();
  return c;
}

std::vector<Candidate> Candidates(core::ObjectReader& r, const std::string& key) {
  std::vector<Candidate> out;
  const nlohmann::json& array = r.Array(key);
  for (size_t i = 0; i < array.size(); ++i)
    out.push_back(CandidateFromJson(array[i], r.PathOf(key) + "[" + std::to_string(i) + "]"));
  return out;
}

SearchState FromJson(const nlohmann::json& doc) {
  core::ObjectReader r(doc, "");
  r.RequireSchemaVersion(1);
  SearchState s;
  s.fingerprint = r.String("fingerprint");
  const nlohmann::json& spaces = r.Array("spaces");
  for (size_t i = 0; i < spaces.size(); ++i) {
    core::ObjectReader c(spaces[i], "spaces[" + std::to_string(i) + "]");
    s.spaces.push_back({c.Number("width"), c.Int("resolution"), c.Int("samples"), c.Int("feasible"),
                        c.Number("mean_feasible_macs"), c.Has("shrunk") && c.Bool("shrunk")});
    c.RejectUnknownKeys();
  }
  s.evolution.generation = r.Int("generation");
  s.evolution.rng = r.String("rng");
  s.evolution.result.population = Candidates(r, "population");
  s.evolution.result.evaluated = Candidates(r, "evaluated");
  const nlohmann::json& log = r.Array("log");
  for (size_t i = 0; i < log.size(); ++i) {
    core::ObjectReader g(log[i], "log[" + std::to_string(i) + "]");
    GenerationLog entry;
    entry.generation = g.Int("generation");
    entry.best_accuracy = g.Number("best_accuracy");
    entry.mean_accuracy = g.Number("mean_accuracy");
    entry.best = CandidateFromJson(g.Object("best"), g.PathOf("best"));
    g.RejectUnknownKeys();
    s.evolution.result.log.push_back(entry);
  }
  r.RejectUnknownKeys();
  if (s.evolution.result.population.empty()) throw core::JsonError("key 'population': empty");
  return s;
}

}  // namespace

std::string SearchStateToJson(const SearchState& s) {
  nlohmann::ordered_json doc;
  doc["schema_version"] = 1;
  doc["fingerprint"] = s.fingerprint;
  doc["spaces"] = nlohmann::ordered_json::array();
  for (const SpaceChoice& c : s.spaces) {
    doc["spaces"].push_back({{"width", c.width},
                             {"resolution", c.resolution},
                             {"samples", c.samples},
                             {"feasible", c.feasible},
                             {"mean_feasible_macs", c.mean_feasible_macs},
                             {"shrunk", c.shrunk}});
  }
  doc["generation"] = s.evolution.generation;
  doc["rng"] = s.evolution.rng;
  for (const char* key : {"population", "evaluated"}) {
    const std::vector<Candidate>& list =
        std::string(key) == "population" ? s.evolution.result.population : s.evolution.result.evaluated;
    doc[key] = nlohmann::ordered_json::array();
    for (const Candidate& c : list) doc[key].push_back(CandidateToJson(c));
  }
  doc["log"] = nlohmann::ordered_json::array();
  for (const GenerationLog& g : s.evolution.result.log) {
    doc["log"].push_back({{"generation", g.generation},
                          {"best_accuracy", g.best_accuracy},
                          {"mean_accuracy", g.mean_accuracy},
                          {"best", CandidateToJson(g.best)}});
  }
  return doc.dump() + "\n";
}

core::Result<SearchState> ParseSearchState(const std::string& text, const std::string& source) {
  return core::ParseJsonWith<SearchState>(text, source, FromJson);
}

}  // namespace kilonas::search
