#pragma once
// Brings the loopback interface up in the calling thread's network namespace
// (a new netns starts with lo down; pods expect 127.0.0.1 to work).

namespace berth::network {

// Throws berth::Error (INTERNAL, naming the libnl call and its error).
void BringUpLoopback();

}  // namespace berth::network
