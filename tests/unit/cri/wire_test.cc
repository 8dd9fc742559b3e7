// Guards wire compatibility: berth's compiled cri/api.proto must describe
// exactly the published runtime.v1 API (names, numbers, types, labels, nesting).
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "cri/cri.h"

namespace {

TEST(CriWire, CompiledProtoMatchesThePublishedDescriptor) {
  std::ifstream in(CRI_PUBLISHED_DESCRIPTOR);
  ASSERT_TRUE(in) << CRI_PUBLISHED_DESCRIPTOR;
  std::stringstream text;
  text << in.rdbuf();
  google::protobuf::FileDescriptorSet published;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(text.str(), &published));
  ASSERT_EQ(published.file_size(), 1);

  google::protobuf::FileDescriptorProto want = published.file(0), got;
  runtime::v1::VersionRequest::descriptor()->file()->CopyTo(&got);
  runtime::v1::VersionRequest::descriptor()->file()->CopyJsonNameTo(&got);
  for (auto* f : {&want, &got}) {  // only the file's name and go_package may differ
    f->clear_name();
    f->clear_options();
  }
  std::string diff;
  google::protobuf::util::MessageDifferencer d;
  d.ReportDifferencesToString(&diff);
  EXPECT_TRUE(d.Compare(want, got)) << diff;
  EXPECT_EQ(got.service_size(), 2);
  EXPECT_EQ(got.package(), "runtime.v1");
}

}  // namespace
