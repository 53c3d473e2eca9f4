// Conversions between absl::Status and Milvus' common.Status (see
// convert.h): the numeric codes of Milvus 2.5 and the legacy error codes.
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/strings.h"
#include "common/utf8.h"
#include "milvus/convert.h"

// Milvus deprecated common.Status.error_code, but peers still read it: keep
// setting and reading it.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace cove::internal {
namespace {

// Payload of an absl::Status that carries the Milvus numeric code.
constexpr char kMilvusCodePayload[] = "type.googleapis.com/cove.MilvusCode";

// Milvus numeric codes (the `merr` package of Milvus 2.5).
constexpr int32_t kCodeSuccess = 0;
constexpr int32_t kCodeServiceUnavailable = 2;
constexpr int32_t kCodeServiceInternal = 5;
constexpr int32_t kCodeQuotaExceeded = 9;
constexpr int32_t kCodeUnimplemented = 10;
constexpr int32_t kCodeCollectionNotFound = 100;
constexpr int32_t kCodeCollectionNotLoaded = 101;
constexpr int32_t kCodeSchemaMismatch = 108;
constexpr int32_t kCodePartitionNotFound = 200;
constexpr int32_t kCodeIndexNotFound = 700;
constexpr int32_t kCodeDatabaseNotFound = 800;
constexpr int32_t kCodeParameterInvalid = 1100;
constexpr int32_t kCodeNotAuthenticated = 1400;
constexpr int32_t kCodeNotPermitted = 1401;
constexpr int32_t kCodeAliasNotFound = 1600;
constexpr int32_t kCodeAliasExists = 1602;
constexpr int32_t kCodeUndefined = 65535;

struct WireCode {
  common_pb::ErrorCode legacy;
  int32_t code;
};

// The status table. absl code -> (legacy error_code, numeric code):
//
//   OK                  Success(0)              0
//   InvalidArgument     IllegalArgument(5)      1100  ParameterInvalid
//   OutOfRange          IllegalArgument(5)      1100
//   NotFound            collection: CollectionNotExists(4) 100
//                       index:      IndexNotExist(25)      700
//                       partition:  UnexpectedError(1)     200
//                       database:   UnexpectedError(1)     800
//                       alias:      UnexpectedError(1)     1600
//                       other:      UnexpectedError(1)     65535
//   AlreadyExists       alias: UnexpectedError(1) 1602; other: 1, 65535
//   FailedPrecondition  not loaded: UnexpectedError(1) 101;
//                       schema mismatch: SchemaMismatch(62) 108;
//                       other: UnexpectedError(1) 65535
//   PermissionDenied    PermissionDenied(3)     1401  PrivilegeNotPermitted
//   Unauthenticated     PermissionDenied(3)     1400  PrivilegeNotAuthenticated
//   ResourceExhausted   MemoryQuotaExhausted(53) 9    ServiceQuotaExceeded
//   Unavailable         NotReadyServe(56)       2     ServiceUnavailable
//                                                     (retriable = true)
//   Unimplemented       UnexpectedError(1)      10    ServiceUnimplemented
//   Internal            UnexpectedError(1)      5     ServiceInternal
//   anything else       UnexpectedError(1)      65535
//
// The sub-kind of NotFound and friends is read from the message, whose first
// word names the resource ("collection 'x' not found", "index 'i' ..."), or
// from the code payload a Status received from a peer keeps. Between Cove
// peers extra_info["cove_code"] carries the exact absl code as well; other
// peers are mapped back by numeric code, then by legacy code (see
// StatusFromProto).
// The Milvus code a Status carries in its payload; 0 when none.
int32_t PayloadCode(const absl::Status& status) {
  auto payload = status.GetPayload(kMilvusCodePayload);
  int32_t code = 0;
  if (!payload.has_value() || !absl::SimpleAtoi(std::string(*payload), &code)) {
    return 0;
  }
  return code;
}

WireCode WireCodeFor(const absl::Status& status) {
  const std::string_view msg = StdSv(status.message());
  auto starts = [&](const char* word) {
    return absl::StartsWithIgnoreCase(Sv(msg), word);
  };
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return {common_pb::Success, kCodeSuccess};
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return {common_pb::IllegalArgument, kCodeParameterInvalid};
    case absl::StatusCode::kNotFound:
      if (starts("index"))
        return {common_pb::IndexNotExist, kCodeIndexNotFound};
      if (starts("partition")) {
        return {common_pb::UnexpectedError, kCodePartitionNotFound};
      }
      if (starts("database")) {
        return {common_pb::UnexpectedError, kCodeDatabaseNotFound};
      }
      if (starts("alias")) {
        return {common_pb::UnexpectedError, kCodeAliasNotFound};
      }
      if (starts("collection") || absl::StrContains(Sv(msg), "collection '")) {
        return {common_pb::CollectionNotExists, kCodeCollectionNotFound};
      }
      return {common_pb::UnexpectedError, kCodeUndefined};
    case absl::StatusCode::kAlreadyExists:
      if (starts("alias"))
        return {common_pb::UnexpectedError, kCodeAliasExists};
      return {common_pb::UnexpectedError, kCodeUndefined};
    case absl::StatusCode::kFailedPrecondition:
      if (PayloadCode(status) == kCodeSchemaMismatch) {
        return {common_pb::SchemaMismatch, kCodeSchemaMismatch};
      }
      if (absl::StrContains(Sv(msg), "not loaded")) {
        return {common_pb::UnexpectedError, kCodeCollectionNotLoaded};
      }
      return {common_pb::UnexpectedError, kCodeUndefined};
    case absl::StatusCode::kPermissionDenied:
      return {common_pb::PermissionDenied, kCodeNotPermitted};
    case absl::StatusCode::kUnauthenticated:
      return {common_pb::PermissionDenied, kCodeNotAuthenticated};
    case absl::StatusCode::kResourceExhausted:
      return {common_pb::MemoryQuotaExhausted, kCodeQuotaExceeded};
    case absl::StatusCode::kUnavailable:
      return {common_pb::NotReadyServe, kCodeServiceUnavailable};
    case absl::StatusCode::kUnimplemented:
      return {common_pb::UnexpectedError, kCodeUnimplemented};
    case absl::StatusCode::kInternal:
      return {common_pb::UnexpectedError, kCodeServiceInternal};
    default:
      return {common_pb::UnexpectedError, kCodeUndefined};
  }
}

absl::StatusCode CodeFromNumeric(int32_t code) {
  switch (code) {
    case kCodeCollectionNotFound:
    case kCodePartitionNotFound:
    case kCodeIndexNotFound:
    case kCodeDatabaseNotFound:
    case kCodeAliasNotFound:
      return absl::StatusCode::kNotFound;
    case kCodeCollectionNotLoaded:
    case kCodeSchemaMismatch:
      return absl::StatusCode::kFailedPrecondition;
    case kCodeParameterInvalid:
    case 1101:  // ParameterMissing
    case 1102:  // ParameterTooLarge
      return absl::StatusCode::kInvalidArgument;
    case kCodeNotAuthenticated:
      return absl::StatusCode::kUnauthenticated;
    case kCodeNotPermitted:
      return absl::StatusCode::kPermissionDenied;
    case 1:  // ServiceNotReady
    case kCodeServiceUnavailable:
      return absl::StatusCode::kUnavailable;
    case 3:  // ServiceMemoryLimitExceeded
    case 4:  // ServiceTooManyRequests
    case 7:  // ServiceDiskLimitExceeded
    case 8:  // ServiceRateLimit
    case kCodeQuotaExceeded:
      return absl::StatusCode::kResourceExhausted;
    case kCodeUnimplemented:
      return absl::StatusCode::kUnimplemented;
    case kCodeAliasExists:
      return absl::StatusCode::kAlreadyExists;
    default:
      return absl::StatusCode::kInternal;
  }
}

absl::StatusCode CodeFromLegacy(common_pb::ErrorCode code) {
  switch (code) {
    case common_pb::PermissionDenied:
      return absl::StatusCode::kPermissionDenied;
    case common_pb::CollectionNotExists:
    case common_pb::IndexNotExist:
    case common_pb::CollectionNameNotFound:
      return absl::StatusCode::kNotFound;
    case common_pb::IllegalArgument:
    case common_pb::IllegalDimension:
    case common_pb::IllegalIndexType:
    case common_pb::IllegalCollectionName:
    case common_pb::IllegalTOPK:
    case common_pb::IllegalRowRecord:
    case common_pb::IllegalVectorID:
    case common_pb::IllegalNLIST:
    case common_pb::IllegalMetricType:
      return absl::StatusCode::kInvalidArgument;
    case common_pb::RateLimit:
    case common_pb::MemoryQuotaExhausted:
    case common_pb::DiskQuotaExhausted:
    case common_pb::ForceDeny:
      return absl::StatusCode::kResourceExhausted;
    case common_pb::NotReadyServe:
    case common_pb::NotReadyCoordActivating:
    case common_pb::ConnectFailed:
      return absl::StatusCode::kUnavailable;
    case common_pb::SchemaMismatch:
      return absl::StatusCode::kFailedPrecondition;
    default:
      return absl::StatusCode::kInternal;
  }
}

}  // namespace

// --- status
// -------------------------------------------------------------------

common_pb::Status StatusToProto(const absl::Status& status) {
  common_pb::Status out;
  WireCode wire = WireCodeFor(status);
  if (int32_t code = PayloadCode(status); code != 0 && !status.ok()) {
    wire.code = code;
  }
  out.set_error_code(wire.legacy);
  out.set_code(wire.code);
  if (!status.ok()) {
    out.set_reason(ValidUtf8(status.message()));
    out.set_retriable(status.code() == absl::StatusCode::kUnavailable);
    (*out.mutable_extra_info())[kCoveCodeKey] =
        absl::StatusCodeToString(status.code());
  }
  return out;
}

absl::Status StatusFromProto(const common_pb::Status& status) {
  if (status.code() == 0 && status.error_code() == common_pb::Success) {
    return absl::OkStatus();
  }
  absl::StatusCode code = absl::StatusCode::kInternal;
  bool exact = false;
  auto it = status.extra_info().find(kCoveCodeKey);
  if (it != status.extra_info().end()) {
    for (int c = 1; c <= 16; ++c) {
      auto candidate = static_cast<absl::StatusCode>(c);
      if (absl::StatusCodeToString(candidate) == it->second) {
        code = candidate;
        exact = true;
      }
    }
  }
  if (!exact) {
    code = status.code() != 0 ? CodeFromNumeric(status.code())
                              : CodeFromLegacy(status.error_code());
    if (status.code() != 0 && code == absl::StatusCode::kInternal &&
        status.error_code() != common_pb::Success &&
        status.error_code() != common_pb::UnexpectedError) {
      code = CodeFromLegacy(status.error_code());
    }
  }
  std::string message = status.reason();
  if (message.empty()) message = status.detail();
  if (!exact) {
    message = absl::StrCat(message.empty() ? "server error" : message,
                           " (server code ", status.code(), ", error_code ",
                           static_cast<int>(status.error_code()), ")");
  }
  absl::Status out(code, message);
  int32_t numeric = status.code();
  if (numeric == 0 && status.error_code() == common_pb::SchemaMismatch) {
    numeric = kCodeSchemaMismatch;
  }
  if (numeric != 0) {
    out.SetPayload(kMilvusCodePayload, absl::Cord(absl::StrCat(numeric)));
  }
  return out;
}

absl::Status SchemaMismatchError(const std::string& collection) {
  absl::Status s = absl::FailedPreconditionError(absl::StrCat(
      "collection '", collection,
      "': schema mismatch (the write was built against an older schema; "
      "describe the collection again)"));
  s.SetPayload(kMilvusCodePayload,
               absl::Cord(absl::StrCat(kCodeSchemaMismatch)));
  return s;
}

bool IsSchemaMismatch(const absl::Status& status) {
  return PayloadCode(status) == kCodeSchemaMismatch;
}

int32_t MilvusCode(const absl::Status& status) {
  if (int32_t code = PayloadCode(status); code != 0) return code;
  return WireCodeFor(status).code;
}

}  // namespace cove::internal
