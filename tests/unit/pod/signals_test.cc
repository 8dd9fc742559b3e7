// Signal names: every spelling images and the CRI use ("TERM", "sigterm",
// "15", "SIGRTMAX-2", the CRI enum's SIGRTMINPLUS3, the IOT/CLD/POLL
// aliases) comes out as one canonical name that SignalNumber maps back to
// kill(2)'s number; glibc's own 32 and 33 and anything else are refused.
#include "pod/signals.h"

#include <gtest/gtest.h>

#include <csignal>

#include "storage/base/error.h"

namespace berth::pod {
namespace {

namespace v1 = runtime::v1;

std::string Canon(const std::string& s) { return CanonicalSignalName(s, "test signal"); }

// The CRI enum value named `name` (its SIGINT & co. collide with <signal.h> macros).
v1::Signal Cri(const std::string& name) {
  v1::Signal s{};
  EXPECT_TRUE(v1::Signal_Parse(name, &s)) << name;
  return s;
}

TEST(CanonicalSignalName, NamesInAnyCaseWithOrWithoutSig) {
  for (const char* s : {"TERM", "term", "SIGTERM", "sigterm", "SigTerm"}) EXPECT_EQ(Canon(s), "SIGTERM") << s;
  EXPECT_EQ(Canon("KILL"), "SIGKILL");
  EXPECT_EQ(Canon("hup"), "SIGHUP");
  EXPECT_EQ(Canon("SIGWINCH"), "SIGWINCH");
  EXPECT_EQ(Canon("STKFLT"), "SIGSTKFLT");
  EXPECT_EQ(Canon("PWR"), "SIGPWR");
}

TEST(CanonicalSignalName, AliasesMapToTheirSignal) {
  EXPECT_EQ(Canon("IOT"), "SIGABRT");
  EXPECT_EQ(Canon("SIGCLD"), "SIGCHLD");
  EXPECT_EQ(SignalNumber(Canon("poll")), SIGIO);
}

// glibc 2.36's sigabbrev_np(29) is "POLL", not "IO": "IO"/"SIGIO" (an image
// StopSignal, the CRI enum's SIGIO) must still be taken, and 29 named SIGIO.
TEST(CanonicalSignalName, SigioIsAcceptedAndCanonical) {
  EXPECT_EQ(Canon("IO"), "SIGIO");
  EXPECT_EQ(Canon("SIGIO"), "SIGIO");
  EXPECT_EQ(Canon("poll"), "SIGIO");
  EXPECT_EQ(Canon("29"), "SIGIO");
  EXPECT_EQ(StopSignal(Cri("SIGIO"), ""), "SIGIO");
}

TEST(CanonicalSignalName, NumbersWithOrWithoutSig) {
  EXPECT_EQ(Canon("15"), "SIGTERM");
  EXPECT_EQ(Canon("9"), "SIGKILL");
  EXPECT_EQ(Canon("1"), "SIGHUP");
  EXPECT_EQ(Canon("31"), "SIGSYS");
  EXPECT_EQ(Canon("SIG2"), "SIGINT");
  EXPECT_EQ(Canon("010"), "SIGUSR1");  // decimal, leading zero and all
}

TEST(CanonicalSignalName, RealTimeSignalsCountFromGlibcsSigrtmin) {
  ASSERT_EQ(SIGRTMIN, 34);
  ASSERT_EQ(SIGRTMAX, 64);
  EXPECT_EQ(Canon("34"), "SIGRTMIN");
  EXPECT_EQ(Canon("37"), "SIGRTMIN+3");
  EXPECT_EQ(Canon("64"), "SIGRTMIN+30");
  EXPECT_EQ(Canon("RTMIN"), "SIGRTMIN");
  EXPECT_EQ(Canon("sigrtmin+3"), "SIGRTMIN+3");
  EXPECT_EQ(Canon("SIGRTMIN+30"), "SIGRTMIN+30");
  // RTMAX-n counts down from 64; both spellings meet in one canonical form.
  EXPECT_EQ(Canon("SIGRTMAX"), "SIGRTMIN+30");
  EXPECT_EQ(Canon("RTMAX-2"), "SIGRTMIN+28");
  EXPECT_EQ(Canon("SIGRTMAX-30"), "SIGRTMIN");
}

TEST(CanonicalSignalName, AnythingElseIsInvalidArgumentNamingWhatAndTheValue) {
  for (const std::string bad : {"", "SIG", "0", "32", "33", "65", "999", "1000", "-1", "+15", "BOGUS", "TERM ", " 15",
                                "RTMIN+31", "RTMIN-1", "RTMIN+", "RTMIN3", "RTMAX+1", "RTMAX-31", "RTMIN+0x1",
                                "SIGSIGTERM"}) {
    try {
      CanonicalSignalName(bad, "image StopSignal");
      ADD_FAILURE() << "accepted \"" << bad << "\"";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("image StopSignal \"" + bad + "\" is not a signal"), std::string::npos)
          << e.what();
    }
  }
}

TEST(SignalNumber, MapsEveryCanonicalNameBack) {
  EXPECT_EQ(SignalNumber("SIGTERM"), SIGTERM);
  EXPECT_EQ(SignalNumber("SIGKILL"), SIGKILL);
  EXPECT_EQ(SignalNumber("SIGRTMIN"), SIGRTMIN);
  EXPECT_EQ(SignalNumber("SIGRTMIN+30"), SIGRTMAX);
  // Every signal a container can be stopped with survives name -> number.
  for (int n = 1; n <= SIGRTMAX; ++n) {
    if (n == 32 || n == 33) continue;
    const std::string name = Canon(std::to_string(n));
    EXPECT_EQ(SignalNumber(name), n) << name;
    EXPECT_EQ(Canon(name), name) << "canonical names are fixed points";
  }
}

TEST(SignalNumber, RefusesWhatIsNoName) {
  for (const char* bad : {"SIGBOGUS", "", "SIGRTMIN+31"}) {
    try {
      SignalNumber(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("is not a signal name"), std::string::npos) << e.what();
    }
  }
  // Only names: a number is not a canonical name.
  EXPECT_THROW(SignalNumber("15"), Error);
}

TEST(StopSignal, TheCrisThenTheImagesThenSigterm) {
  EXPECT_EQ(StopSignal(v1::RUNTIME_DEFAULT, ""), "SIGTERM");
  EXPECT_EQ(StopSignal(v1::RUNTIME_DEFAULT, "quit"), "SIGQUIT");
  EXPECT_EQ(StopSignal(v1::RUNTIME_DEFAULT, "37"), "SIGRTMIN+3");
  EXPECT_EQ(StopSignal(Cri("SIGINT"), "SIGQUIT"), "SIGINT");
  try {
    StopSignal(v1::RUNTIME_DEFAULT, "SIGBOGUS");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("image StopSignal \"SIGBOGUS\" is not a signal"), std::string::npos);
  }
}

TEST(StopSignal, TheCriEnumsSpellingsAreCanonicalised) {
  EXPECT_EQ(StopSignal(Cri("SIGRTMINPLUS3"), ""), "SIGRTMIN+3");
  EXPECT_EQ(StopSignal(Cri("SIGRTMAXMINUS1"), ""), "SIGRTMIN+29");
  EXPECT_EQ(StopSignal(Cri("SIGRTMAX"), ""), "SIGRTMIN+30");
  EXPECT_EQ(StopSignal(Cri("SIGCLD"), ""), "SIGCHLD");
  EXPECT_EQ(StopSignal(Cri("SIGIOT"), ""), "SIGABRT");
  EXPECT_EQ(SignalNumber(StopSignal(Cri("SIGPOLL"), "")), SIGIO);
  // Every value of the enum names a signal berth can send.
  const auto* desc = v1::Signal_descriptor();
  for (int i = 0; i < desc->value_count(); ++i) {
    const auto value = static_cast<v1::Signal>(desc->value(i)->number());
    if (value == v1::RUNTIME_DEFAULT) continue;
    const std::string name = StopSignal(value, "");
    EXPECT_GE(SignalNumber(name), 1) << desc->value(i)->name();
  }
}

}  // namespace
}  // namespace berth::pod
