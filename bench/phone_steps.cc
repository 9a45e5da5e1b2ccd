// What each libphonenumber call costs, per number, on the phones of a
// contact CSV (the last field of each line). Each step runs as its own
// pass over all numbers, so the figures are steady-state costs.
//
//   phone_steps FILE [REGION]
//
// Built by bench/import.sh (g++ -O2 ... -lphonenumber).
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

namespace {

double
now_us()
{
	return std::chrono::duration<double, std::micro>(
	    std::chrono::steady_clock::now().time_since_epoch()).count();
}

template <typename F>
void
step(const char *name, size_t n, F f)
{
	double t0 = now_us();
	size_t done = f();
	double t = now_us() - t0;
	std::printf("  %-34s %6.2f us per number  (%zu numbers, %.0f ms)\n", name,
	    t / (done ? done : 1), done, t / 1000);
	(void)n;
}

} // namespace

int
main(int argc, char **argv)
{
	if (argc < 2) {
		std::fprintf(stderr, "usage: phone_steps FILE [REGION]\n");
		return 2;
	}
	const std::string region = argc > 2 ? argv[2] : "US";
	std::ifstream in(argv[1], std::ios::binary);
	std::vector<std::string> texts;
	std::string line;
	std::getline(in, line); // header
	while (std::getline(in, line)) {
		if (!line.empty() && line.back() == '\r')
			line.pop_back();
		size_t c = line.rfind(',');
		std::string f = c == std::string::npos ? line : line.substr(c + 1);
		size_t a = f.find_first_not_of(" \t"), b = f.find_last_not_of(" \t");
		if (a != std::string::npos)
			texts.push_back(f.substr(a, b - a + 1));
	}
	double t0 = now_us();
	const PhoneNumberUtil &u = *PhoneNumberUtil::GetInstance();
	std::vector<PhoneNumber> nums(texts.size());
	std::vector<PhoneNumber> valid;
	std::string s;
	PhoneNumber first;
	u.Parse("(202) 555-0143", region, &first);
	std::printf("  %-34s %6.2f ms\n", "first Parse (metadata, init)", (now_us() - t0) / 1000);

	step("Parse", texts.size(), [&] {
		for (size_t i = 0; i < texts.size(); i++)
			u.Parse(texts[i], region, &nums[i]);
		return texts.size();
	});
	step("IsValidNumber", nums.size(), [&] {
		for (auto &n : nums)
			if (u.IsValidNumber(n))
				valid.push_back(n);
		return nums.size();
	});
	step("GetNumberType (valid numbers)", valid.size(), [&] {
		for (auto &n : valid)
			(void)u.GetNumberType(n);
		return valid.size();
	});
	step("Format E164", valid.size(), [&] {
		for (auto &n : valid)
			u.Format(n, PhoneNumberUtil::E164, &s);
		return valid.size();
	});
	step("Format NATIONAL", valid.size(), [&] {
		for (auto &n : valid)
			u.Format(n, PhoneNumberUtil::NATIONAL, &s);
		return valid.size();
	});
	step("Format INTERNATIONAL", valid.size(), [&] {
		for (auto &n : valid)
			u.Format(n, PhoneNumberUtil::INTERNATIONAL, &s);
		return valid.size();
	});
	step("GetRegionCodeForNumber", valid.size(), [&] {
		for (auto &n : valid)
			u.GetRegionCodeForNumber(n, &s);
		return valid.size();
	});
	return 0;
}
