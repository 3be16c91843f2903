// scenario.schema.json and docs/scenarios.md agree with the parser: the same fields,
// every schema property accepted, every schema object closed, the same defaults.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "detail/fields.h"
#include "faultline/scenarios/loader.h"

namespace faultline::scenarios {
namespace {

using Json = nlohmann::ordered_json;
namespace fs = std::filesystem;

const fs::path kSourceDir = FAULTLINE_SOURCE_DIR;

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  EXPECT_TRUE(in) << "cannot read " << file;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/** One step from a container to a child: an object member, or "[]" for an array element. */
struct Step {
  const Json* container;
  std::string key;
};

/** A place in the schema: how to get there from the document root, and its schema. */
struct SchemaPlace {
  std::vector<Step> steps;
  const Json* node;
};

/** Walks the schema: every property by generic path ("routes[].respond.status"), and
    every object schema with fixed properties. */
class SchemaWalker {
 public:
  explicit SchemaWalker(const Json& schema) : schema_(schema) { walk(schema, {}, ""); }

  [[nodiscard]] const std::map<std::string, SchemaPlace>& properties() const { return properties_; }
  [[nodiscard]] const std::vector<SchemaPlace>& objects() const { return objects_; }

  /** A schema with its "$ref" (local "#/$defs/x" only) followed. */
  [[nodiscard]] const Json& resolve(const Json& node) const {
    if (!node.contains("$ref")) {
      return node;
    }
    const std::string ref = node["$ref"];
    const std::string prefix = "#/$defs/";
    EXPECT_EQ(ref.rfind(prefix, 0), 0u) << ref;
    return resolve(schema_["$defs"][ref.substr(prefix.size())]);
  }

  /** The smallest valid value: an example, or the required members filled in. */
  [[nodiscard]] Json minimal(const Json& raw) const {
    const Json& node = resolve(raw);
    if (raw.contains("examples")) {
      return raw["examples"][0];
    }
    if (node.contains("examples")) {
      return node["examples"][0];
    }
    if (node.contains("const")) {
      return node["const"];
    }
    if (node.contains("oneOf")) {
      return minimal(node["oneOf"][0]);
    }
    if (node.contains("enum")) {
      return node["enum"][0];
    }
    const std::string type = node.value("type", "");
    if (type == "object") {
      Json object = Json::object();
      for (const auto& name : node.value("required", Json::array())) {
        object[name.get<std::string>()] = minimal(node["properties"][name.get<std::string>()]);
      }
      return object;
    }
    if (type == "array") {
      return Json::array();
    }
    if (type == "string") {
      return "";
    }
    if (type == "integer") {
      return node.value("minimum", 0);
    }
    if (type == "boolean") {
      return true;
    }
    ADD_FAILURE() << "no minimal value for " << node.dump();
    return nullptr;
  }

  /** A whole document that holds `value` at the end of `steps`, everything else minimal.
      Members the last one depends on ("dependentSchemas") get their minimal values;
      with `omit_last` they stay but the last member itself is left out. */
  [[nodiscard]] Json build(const std::vector<Step>& steps, Json value,
                           bool omit_last = false) const {
    for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
      if (it->key == "[]") {
        value = Json::array({std::move(value)});
      } else if (it->key == kMapEntry) {
        Json object = Json::object();
        object[map_key(*it->container)] = std::move(value);
        value = std::move(object);
      } else {
        Json object = minimal(*it->container);
        add_dependents(*it->container, it->key, object);
        if (omit_last && it == steps.rbegin()) {
          object.erase(it->key);
        } else {
          object[it->key] = std::move(value);
        }
        value = std::move(object);
      }
    }
    return value;
  }

  /** The generic path element of a member of a map with free names (gates). */
  static constexpr const char* kMapEntry = "{name}";

 private:
  void walk(const Json& raw, const std::vector<Step>& steps, const std::string& path) {
    const Json& node = resolve(raw);
    for (const char* alternatives : {"oneOf", "anyOf"}) {
      if (node.contains(alternatives)) {
        for (const Json& alternative : node[alternatives]) {
          walk(alternative, steps, path);
        }
      }
    }
    if (node.contains("properties")) {
      objects_.push_back(SchemaPlace{steps, &node});
      for (const auto& [name, child] : node["properties"].items()) {
        std::vector<Step> child_steps = steps;
        child_steps.push_back(Step{&node, name});
        const std::string child_path = path.empty() ? name : path + "." + name;
        properties_.emplace(child_path, SchemaPlace{child_steps, &child});
        walk(child, child_steps, child_path);
      }
    }
    if (node.contains("additionalProperties") && node["additionalProperties"].is_object() &&
        resolve(node["additionalProperties"]).value("type", "") == "object") {
      // A map whose values are objects with fixed fields (gates): "gates.{name}.order".
      std::vector<Step> entry_steps = steps;
      entry_steps.push_back(Step{&node, kMapEntry});
      const std::string entry_path = path + "." + kMapEntry;
      properties_.emplace(entry_path, SchemaPlace{entry_steps, &node["additionalProperties"]});
      walk(node["additionalProperties"], entry_steps, entry_path);
    }
    if (node.contains("items")) {
      std::vector<Step> item_steps = steps;
      item_steps.push_back(Step{&node, "[]"});
      walk(node["items"], item_steps, path + "[]");
    }
  }

  /** A member name for a map: the first one of its example, else "x". */
  [[nodiscard]] std::string map_key(const Json& map) const {
    const Json example = minimal(map);
    return example.is_object() && !example.empty() ? example.begin().key() : "x";
  }

  /** The members `key` requires by the object's "dependentSchemas", at minimal values. */
  void add_dependents(const Json& object_schema, const std::string& key, Json& object) const {
    if (!object_schema.contains("dependentSchemas") ||
        !object_schema["dependentSchemas"].contains(key)) {
      return;
    }
    const Json& dependent = resolve(object_schema["dependentSchemas"][key]);
    for (const auto& name : dependent.value("required", Json::array())) {
      object[name.get<std::string>()] = minimal(dependent["properties"][name.get<std::string>()]);
    }
  }

  const Json& schema_;
  std::map<std::string, SchemaPlace> properties_;
  std::vector<SchemaPlace> objects_;
};

class Reference : public ::testing::Test {
 protected:
  Reference()
      : schema_(Json::parse(read_text(kSourceDir / "scenarios" / "scenario.schema.json"))),
        walker_(schema_),
        docs_(read_text(kSourceDir / "docs" / "scenarios.md")) {
    for (const detail::FieldSpec& field : detail::known_fields()) {
      parser_fields_.emplace(field.path);
    }
  }

  /** Parses a generated document; on failure says which property it was for. */
  ::testing::AssertionResult accepts(const Json& doc, const std::string& what) const {
    try {
      (void)parse_scenario(doc.dump());
      return ::testing::AssertionSuccess();
    } catch (const ScenarioError& e) {
      return ::testing::AssertionFailure()
             << what << ": parser rejects " << doc.dump() << ": " << e.what();
    }
  }

  Json schema_;
  SchemaWalker walker_;
  std::string docs_;
  std::set<std::string> parser_fields_;
};

TEST_F(Reference, SchemaIsDraft202012) {
  EXPECT_EQ(schema_["$schema"], "https://json-schema.org/draft/2020-12/schema");
  EXPECT_FALSE(walker_.properties().empty());
}

TEST_F(Reference, SchemaAndParserKnowTheSameFields) {
  std::set<std::string> schema_fields;
  for (const auto& [path, place] : walker_.properties()) {
    schema_fields.insert(path);
  }
  for (const std::string& field : parser_fields_) {
    EXPECT_TRUE(schema_fields.count(field)) << "parser accepts " << field << ", schema lacks it";
  }
  for (const std::string& field : schema_fields) {
    EXPECT_TRUE(parser_fields_.count(field)) << "schema has " << field << ", parser lacks it";
  }
}

TEST_F(Reference, ParserAcceptsEverySchemaProperty) {
  for (const auto& [path, place] : walker_.properties()) {
    const Json doc = walker_.build(place.steps, walker_.minimal(*place.node));
    EXPECT_TRUE(accepts(doc, path));
  }
}

TEST_F(Reference, EverySchemaObjectIsClosedAndSoIsTheParser) {
  for (const SchemaPlace& object : walker_.objects()) {
    const std::string where = object.node->dump().substr(0, 80);
    EXPECT_EQ(object.node->value("additionalProperties", Json(true)), Json(false))
        << "schema object without additionalProperties:false: " << where;
    // The same object with one extra member: the parser names that member.
    Json value = walker_.minimal(*object.node);
    value["zz_unknown"] = 1;
    const Json doc = walker_.build(object.steps, value);
    try {
      (void)parse_scenario(doc.dump());
      ADD_FAILURE() << "parser accepts an unknown field: " << doc.dump();
    } catch (const ScenarioError& e) {
      const std::string suffix = ".zz_unknown";
      EXPECT_TRUE(e.path().size() > suffix.size() &&
                  e.path().compare(e.path().size() - suffix.size(), suffix.size(), suffix) == 0)
          << e.what();
    }
  }
}

TEST_F(Reference, SchemaDefaultsAreTheParserDefaults) {
  int checked = 0;
  for (const auto& [path, place] : walker_.properties()) {
    const Json& node = walker_.resolve(*place.node);
    const Json* default_value = place.node->contains("default") ? &(*place.node)["default"]
                                : node.contains("default")      ? &node["default"]
                                                                : nullptr;
    if (default_value == nullptr) {
      continue;
    }
    // The field spelled out with its default, and left out: the same scenario.
    const Json with = walker_.build(place.steps, *default_value);
    const Json without = walker_.build(place.steps, nullptr, true);
    ASSERT_TRUE(accepts(with, path));
    ASSERT_TRUE(accepts(without, path));
    EXPECT_EQ(to_json(parse_scenario(with.dump())), to_json(parse_scenario(without.dump())))
        << path << " default " << default_value->dump();
    ++checked;
  }
  EXPECT_GE(checked, 10);
}

TEST_F(Reference, ParserAcceptsEverySchemaEnumValue) {
  int checked = 0;
  for (const auto& [path, place] : walker_.properties()) {
    // The enum of the property, or of one of its alternatives (error codes, last_stream_id).
    std::vector<const Json*> enums;
    const Json& node = walker_.resolve(*place.node);
    if (node.contains("enum")) {
      enums.push_back(&node["enum"]);
    }
    if (node.contains("oneOf")) {
      for (const Json& alternative : node["oneOf"]) {
        const Json& resolved = walker_.resolve(alternative);
        if (resolved.contains("enum")) {
          enums.push_back(&resolved["enum"]);
        }
      }
    }
    for (const Json* values : enums) {
      for (const Json& value : *values) {
        EXPECT_TRUE(accepts(walker_.build(place.steps, value), path + " = " + value.dump()));
        ++checked;
      }
    }
  }
  EXPECT_GE(checked, 40);
}

TEST_F(Reference, SchemaErrorCodesAreTheParserNames) {
  const Json& names = schema_["$defs"]["error_code"]["oneOf"][0]["enum"];
  std::vector<std::string> schema_names;
  for (const Json& name : names) {
    schema_names.push_back(name.get<std::string>());
  }
  std::vector<std::string> parser_names;
  for (std::uint32_t code = 0; code < 0x20; ++code) {
    const std::string name = to_string(static_cast<H2Error>(code));
    if (name.rfind("0x", 0) != 0) {
      parser_names.push_back(name);
    }
  }
  EXPECT_EQ(schema_names, parser_names);
}

TEST_F(Reference, DocsDescribeEveryFieldAndNoOther) {
  for (const std::string& field : parser_fields_) {
    EXPECT_NE(docs_.find("`" + field + "`"), std::string::npos)
        << "docs/scenarios.md does not mention `" << field << "`";
  }
  // Rows of the field reference table: "| `path` | type | ...", in the section
  // "## Field reference" (other tables start rows with code too).
  std::istringstream lines(docs_);
  std::string line;
  int rows = 0;
  bool in_reference = false;
  while (std::getline(lines, line)) {
    if (line.rfind("## ", 0) == 0) {
      in_reference = line == "## Field reference";
    }
    if (!in_reference || line.rfind("| `", 0) != 0) {
      continue;
    }
    const std::size_t end = line.find('`', 3);
    ASSERT_NE(end, std::string::npos) << line;
    const std::string field = line.substr(3, end - 3);
    EXPECT_TRUE(parser_fields_.count(field)) << "docs list `" << field << "`, parser lacks it";
    ++rows;
  }
  EXPECT_EQ(rows, static_cast<int>(parser_fields_.size())) << "one table row per field";
}

TEST_F(Reference, EveryFieldHasItsParentInTheTable) {
  for (const std::string& field : parser_fields_) {
    const std::size_t dot = field.rfind('.');
    if (dot == std::string::npos) {
      continue;
    }
    std::string parent = field.substr(0, dot);
    if (parent.size() > 2 && parent.compare(parent.size() - 2, 2, "[]") == 0) {
      parent.resize(parent.size() - 2);
    }
    EXPECT_TRUE(parser_fields_.count(parent)) << field << " without " << parent;
  }
}

}  // namespace
}  // namespace faultline::scenarios
