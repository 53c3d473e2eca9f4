// MergeContextFields: request ids and etags carried outside the message.
#include "cloud/request_context.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "google/protobuf/descriptor.h"

namespace cove::cloud {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// The string field `name` of `m` (nullptr: none).
const FieldDescriptor* StringField(const Message& m, const char* name) {
  const FieldDescriptor* f = m.GetDescriptor()->FindFieldByName(name);
  if (f == nullptr || f->is_repeated() ||
      f->cpp_type() != FieldDescriptor::CPPTYPE_STRING) {
    return nullptr;
  }
  return f;
}

absl::Status Merge(Message* m, const FieldDescriptor* f,
                   const std::string& value, const std::string& field_path,
                   const char* what) {
  const auto* r = m->GetReflection();
  const std::string current = r->GetString(*m, f);
  if (!current.empty() && current != value) {
    return absl::InvalidArgumentError(absl::StrCat(
        field_path, ": the request says '", current, "' and the ", what,
        " says '", value, "' (expected one of them, or the same value)"));
  }
  r->SetString(m, f, value);
  return absl::OkStatus();
}

}  // namespace

absl::Status MergeContextFields(const RequestContext& ctx, Message* request) {
  const std::string type = request->GetDescriptor()->name();
  if (!ctx.request_id.empty()) {
    const FieldDescriptor* f = StringField(*request, "request_id");
    if (f == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("Idempotency-Key: ", type,
                       " takes no request id (expected none, got one)"));
    }
    COVE_RETURN_IF_ERROR(Merge(request, f, ctx.request_id, "request_id",
                               "Idempotency-Key header"));
  }
  if (!ctx.if_match.empty()) {
    if (const FieldDescriptor* f = StringField(*request, "etag")) {
      return Merge(request, f, ctx.if_match, "etag", "If-Match header");
    }
    // Update requests: the etag of the resource they carry (the first
    // message field that has one).
    const auto* d = request->GetDescriptor();
    const bool update = type.rfind("Update", 0) == 0;
    for (int i = 0; update && i < d->field_count(); ++i) {
      const FieldDescriptor* field = d->field(i);
      if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE ||
          field->is_repeated()) {
        continue;
      }
      const FieldDescriptor* etag =
          field->message_type()->FindFieldByName("etag");
      if (etag == nullptr ||
          etag->cpp_type() != FieldDescriptor::CPPTYPE_STRING) {
        continue;
      }
      Message* resource =
          request->GetReflection()->MutableMessage(request, field);
      return Merge(resource, etag, ctx.if_match,
                   absl::StrCat(field->name(), ".etag"), "If-Match header");
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "If-Match: ", type, " takes no etag (expected none, got one)"));
  }
  return absl::OkStatus();
}

}  // namespace cove::cloud
