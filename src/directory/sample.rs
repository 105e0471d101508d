//! A deterministic sample directory at the scale of Ho Chi Minh City's
//! education sector before the 2025 reform: the Department, its divisions,
//! its board, Party committee and the sector's trade union, the 22
//! district-level people's committees (Thủ Đức city and 21 districts) and
//! their education offices, a vocational and continuing-education centre per
//! district, units directly under the Department, and about 2,000 schools.
//!
//! Names of districts are real; school names are plausible, drawn from the
//! people and places schools there are named after. Organ ids follow QĐ
//! 20/2020's levels but the numbers are invented (the real register is not at
//! hand): the Department is `000.00.12.H29`; its divisions and attached units
//! are level-3 codes under it; its high schools and multi-level schools are
//! level-4 codes under the level-3 buckets 20 and 21; each district committee
//! is a level-2 code (30–51), its education office level 3 code 01 under it,
//! its centre code 02, and the office's schools level-4 codes under 01.
//!
//! Merged units, for the successor rules: Quận 2, Quận 9 and Quận Thủ Đức,
//! whose committees and education offices were merged into Thủ Đức city in
//! 2021, and one primary school merged into its neighbour (as the 2025
//! reorganisation did to many small schools).

use super::{Alias, Directory, DirectoryError, DirectoryFile, Group, GroupId, Limits, Member, OrganId, Unit, UnitKind};

/// The Department's organ id in the sample.
pub const DEPARTMENT: &str = "000.00.12.H29";

/// District-level areas: (name as written after "UBND"/"Phòng GD&ĐT", slug,
/// kindergartens, primary schools, lower secondary schools). Counts are
/// plausible for each area's size.
const DISTRICTS: &[(&str, &str, u16, u16, u16)] = &[
    ("thành phố Thủ Đức", "thu-duc", 114, 60, 36),
    ("Quận 1", "quan-1", 34, 20, 12),
    ("Quận 3", "quan-3", 30, 16, 10),
    ("Quận 4", "quan-4", 28, 14, 9),
    ("Quận 5", "quan-5", 32, 18, 10),
    ("Quận 6", "quan-6", 36, 20, 12),
    ("Quận 7", "quan-7", 48, 22, 14),
    ("Quận 8", "quan-8", 44, 24, 14),
    ("Quận 10", "quan-10", 34, 18, 11),
    ("Quận 11", "quan-11", 32, 18, 10),
    ("Quận 12", "quan-12", 64, 30, 18),
    ("quận Bình Tân", "binh-tan", 66, 30, 18),
    ("quận Bình Thạnh", "binh-thanh", 56, 26, 16),
    ("quận Gò Vấp", "go-vap", 62, 30, 18),
    ("quận Phú Nhuận", "phu-nhuan", 28, 12, 8),
    ("quận Tân Bình", "tan-binh", 52, 26, 15),
    ("quận Tân Phú", "tan-phu", 48, 24, 14),
    ("huyện Bình Chánh", "binh-chanh", 62, 34, 20),
    ("huyện Cần Giờ", "can-gio", 20, 14, 8),
    ("huyện Củ Chi", "cu-chi", 50, 40, 24),
    ("huyện Hóc Môn", "hoc-mon", 44, 26, 14),
    ("huyện Nhà Bè", "nha-be", 26, 12, 7),
];

/// Divisions of the Department: the "Phòng thuộc Sở" (with the Office). The
/// Inspectorate is a division too but is headed by a Chief Inspector, not a
/// "Trưởng phòng", so it is added apart.
const DIVISIONS: &[&str] = &[
    "Văn phòng Sở",
    "Phòng Tổ chức cán bộ",
    "Phòng Kế hoạch - Tài chính",
    "Phòng Giáo dục Mầm non",
    "Phòng Giáo dục Tiểu học",
    "Phòng Giáo dục Trung học",
    "Phòng Giáo dục thường xuyên - Chuyên nghiệp",
    "Phòng Khảo thí và Kiểm định chất lượng giáo dục",
    "Phòng Chính trị tư tưởng",
    "Phòng Công nghệ thông tin",
    "Phòng Giáo dục Mầm non ngoài công lập",
];

const DIRECTLY_ATTACHED: &[&str] = &[
    "Trung tâm Giáo dục thường xuyên Chu Văn An",
    "Trung tâm Giáo dục thường xuyên Gia Định",
    "Trung tâm Giáo dục thường xuyên Thanh niên xung phong",
    "Trung tâm Giáo dục thường xuyên Tiếng Hoa",
    "Trung tâm Hỗ trợ phát triển giáo dục hòa nhập",
    "Trung tâm Thông tin và Chương trình giáo dục",
    "Trung tâm Ngoại ngữ - Tin học Thành phố",
    "Trường Phổ thông Năng khiếu Thể dục thể thao Olympic",
    "Trường Chuyên biệt Nguyễn Đình Chiểu",
    "Trường Chuyên biệt Thảo Đàn",
    "Trường Khiếm thính Hy Vọng",
    "Trường Bồi dưỡng giáo dục",
];

/// Public high schools (the specialised ones included).
const HIGH_SCHOOLS: &[&str] = &[
    "chuyên Lê Hồng Phong",
    "chuyên Trần Đại Nghĩa",
    "Lê Quý Đôn",
    "Nguyễn Thị Minh Khai",
    "Marie Curie",
    "Trưng Vương",
    "Bùi Thị Xuân",
    "Ten Lơ Man",
    "Nguyễn Du",
    "Nguyễn Thượng Hiền",
    "Gia Định",
    "Võ Thị Sáu",
    "Nguyễn Hữu Huân",
    "Thủ Đức",
    "Tam Phú",
    "Hiệp Bình",
    "Nguyễn Trãi",
    "Hùng Vương",
    "Mạc Đĩnh Chi",
    "Bình Phú",
    "Lê Thánh Tôn",
    "Ngô Quyền",
    "Tạ Quang Bửu",
    "Nguyễn Hữu Cảnh",
    "Phan Đăng Lưu",
    "Hoàng Hoa Thám",
    "Trần Phú",
    "Nguyễn Chí Thanh",
    "Nguyễn Thái Bình",
    "Tân Bình",
    "Trần Hưng Đạo",
    "Nguyễn Công Trứ",
    "Gò Vấp",
    "Phú Nhuận",
    "Hàn Thuyên",
    "Củ Chi",
    "Quang Trung",
    "An Nhơn Tây",
    "Trung Phú",
    "Trung Lập",
    "Phú Hòa",
    "Tân Thông Hội",
    "Bình Chánh",
    "Vĩnh Lộc B",
    "Đa Phước",
    "Lê Minh Xuân",
    "Cần Thạnh",
    "Bình Khánh",
    "An Nghĩa",
    "Nguyễn Hữu Tiến",
    "Nguyễn Văn Cừ",
    "Nguyễn Hữu Cầu",
    "Bà Điểm",
    "Lý Thường Kiệt",
    "Phạm Văn Sáng",
    "Long Trường",
    "Nguyễn Huệ",
    "Phước Long",
    "Nguyễn Văn Tăng",
    "Dương Văn Thì",
    "Nguyễn Khuyến",
    "Trường Chinh",
    "Thạnh Lộc",
    "Võ Trường Toản",
    "Lương Văn Can",
    "Ngô Gia Tự",
    "Nguyễn Văn Linh",
    "Võ Văn Kiệt",
    "Nguyễn An Ninh",
    "Diên Hồng",
    "Thanh Đa",
    "Trần Khai Nguyên",
    "Nam Kỳ Khởi Nghĩa",
    "Nguyễn Tất Thành",
    "Phú Lâm",
    "Bình Tân",
    "Vĩnh Lộc",
    "An Lạc",
    "Nguyễn Hiền",
    "Trần Quang Khải",
    "Tân Phong",
    "Ngô Thời Nhiệm",
    "Lê Trọng Tấn",
    "Tây Thạnh",
    "Trần Văn Giàu",
    "Thủ Thiêm",
    "Giồng Ông Tố",
    "Linh Trung",
    "Bình Chiểu",
    "Đào Sơn Tây",
    "Dương Văn Dương",
    "Nguyễn Trung Trực",
    "Lê Thị Hồng Gấm",
    "Nguyễn Văn Tố",
    "Trần Nhân Tông",
    "Hồ Thị Bi",
    "Phạm Phú Thứ",
    "Nguyễn Thị Diệu",
    "Lê Lợi",
    "Năng khiếu Thể dục thể thao",
    "Vĩnh Lộc B 2",
    "Tân Túc",
    "Phong Phú",
    "Bình Hưng Hòa",
    "Nguyễn Văn Luông",
    "Trần Cao Vân",
    "Ngô Chí Quốc",
    "Hiệp Phước",
    "Long Thới",
    "Phước Kiển",
    "Nam Sài Gòn",
];

/// Schools with several levels including high school (mostly private).
const MULTI_LEVEL: &[&str] = &[
    "Trường TH, THCS và THPT Việt Úc",
    "Trường THCS và THPT Đinh Thiện Lý",
    "Trường TH, THCS và THPT Nam Việt",
    "Trường THCS và THPT Hồng Đức",
    "Trường TH, THCS và THPT Quốc Văn Sài Gòn",
    "Trường TH, THCS và THPT Vinschool",
    "Trường THCS và THPT Sương Nguyệt Anh",
    "Trường TH, THCS và THPT Ngôi Sao",
    "Trường THCS và THPT Bạch Đằng",
    "Trường THCS và THPT Hoa Sen",
    "Trường TH, THCS và THPT Thái Bình Dương",
    "Trường THCS và THPT Phan Bội Châu",
    "Trường TH, THCS và THPT Mùa Xuân",
    "Trường THCS và THPT Trí Đức",
    "Trường TH, THCS và THPT Emasi Nam Long",
    "Trường THCS và THPT Nguyễn Khuyến",
    "Trường TH, THCS và THPT Hòa Bình",
    "Trường THCS và THPT Việt Anh",
    "Trường TH, THCS và THPT Tuệ Đức",
    "Trường THCS và THPT Đức Trí",
    "Trường TH, THCS và THPT Lê Thánh Tông",
    "Trường THCS và THPT Thạnh An",
    "Trường TH, THCS và THPT Trương Vĩnh Ký",
    "Trường THCS và THPT Phạm Ngũ Lão",
    "Trường TH, THCS và THPT Anh Quốc",
    "Trường THCS và THPT Khai Minh",
    "Trường TH, THCS và THPT Albert Einstein",
    "Trường THCS và THPT Duy Tân",
    "Trường TH, THCS và THPT Hoàng Gia",
    "Trường THCS và THPT Sao Việt",
    "Trường TH, THCS và THPT Chu Văn An",
    "Trường THCS và THPT An Đông",
    "Trường TH, THCS và THPT Văn Lang",
    "Trường THCS và THPT Hồng Hà",
    "Trường TH, THCS và THPT Vạn Hạnh",
    "Trường THCS và THPT Ngọc Viễn Đông",
    "Trường TH, THCS và THPT Tân Phú",
    "Trường THCS và THPT Nam Sài Gòn",
    "Trường TH, THCS và THPT Mỹ Việt",
    "Trường THCS và THPT Đông Du",
];

/// People and places primary and lower secondary schools are named after.
const PEOPLE: &[&str] = &[
    "Lê Lợi",
    "Nguyễn Du",
    "Trần Hưng Đạo",
    "Lê Văn Tám",
    "Kim Đồng",
    "Võ Thị Sáu",
    "Nguyễn Bỉnh Khiêm",
    "Chu Văn An",
    "Lương Thế Vinh",
    "Nguyễn Trãi",
    "Lý Tự Trọng",
    "Phan Chu Trinh",
    "Phan Bội Châu",
    "Hai Bà Trưng",
    "Lê Quý Đôn",
    "Nguyễn Đình Chiểu",
    "Trần Quốc Toản",
    "Đinh Tiên Hoàng",
    "Lý Thái Tổ",
    "Lê Đình Chinh",
    "Nguyễn Văn Trỗi",
    "Bạch Đằng",
    "Chi Lăng",
    "Đống Đa",
    "Hòa Bình",
    "Hồng Bàng",
    "Lạc Long Quân",
    "Âu Cơ",
    "Nguyễn Huệ",
    "Quang Trung",
    "Hoàng Diệu",
    "Ngô Quyền",
    "Tô Hiến Thành",
    "Trần Quang Khải",
    "Yết Kiêu",
    "Phạm Ngũ Lão",
    "Nguyễn Thái Học",
    "Trần Văn Ơn",
    "Võ Văn Tần",
    "Nguyễn Thị Minh Khai",
    "Lê Thị Riêng",
    "Nguyễn An Ninh",
    "Huỳnh Văn Bánh",
    "Cao Bá Quát",
    "Nguyễn Khuyến",
    "Tú Xương",
    "Hồ Xuân Hương",
    "Đoàn Thị Điểm",
    "Nguyễn Gia Thiều",
    "Lê Anh Xuân",
    "Trương Định",
    "Nguyễn Trung Trực",
    "Thủ Khoa Huân",
    "Phan Đình Phùng",
    "Hoàng Văn Thụ",
    "Trần Phú",
    "Lê Hồng Phong",
    "Nguyễn Văn Cừ",
    "Hà Huy Tập",
    "Tôn Đức Thắng",
    "Nguyễn Văn Linh",
    "Trần Đại Nghĩa",
    "Lương Định Của",
    "Tạ Quang Bửu",
    "Trần Văn Giàu",
    "Nguyễn Hiền",
    "Mạc Đĩnh Chi",
    "Lý Thường Kiệt",
    "Trần Nhân Tông",
    "Lê Văn Sỹ",
    "Huỳnh Tấn Phát",
    "Nguyễn Văn Tố",
    "Phú Thọ",
    "Hùng Vương",
    "Văn Lang",
    "Điện Biên",
    "Trường Sơn",
    "Cửu Long",
    "Sông Lô",
    "Tân Sơn Nhì",
    "Bình Trị Đông",
    "An Phú",
    "Bình Thọ",
    "Linh Đông",
    "Hiệp Phú",
    "Tăng Nhơn Phú",
    "Phước Bình",
    "Long Bình",
    "Tam Bình",
    "Bình Chiểu",
    "Thạnh Mỹ Lợi",
    "Cát Lái",
    "An Khánh",
    "Phạm Văn Chiêu",
    "Nguyễn Viết Xuân",
    "Trần Quốc Tuấn",
    "Phù Đổng",
    "Lam Sơn",
    "Bàu Sen",
    "Hòa Hưng",
    "Minh Đạo",
    "Kỳ Đồng",
    "Chương Dương",
];

/// Names kindergartens are given.
const KINDERGARTEN_NAMES: &[&str] = &[
    "Hoa Mai",
    "Hoa Sen",
    "Họa Mi",
    "Sơn Ca",
    "Vành Khuyên",
    "Hoa Hồng",
    "Hoa Lan",
    "Hoa Cúc",
    "Tuổi Thơ",
    "Măng Non",
    "Sao Mai",
    "Rạng Đông",
    "Ánh Dương",
    "Thỏ Ngọc",
    "Hướng Dương",
    "Phong Lan",
    "Anh Đào",
    "Hoàng Yến",
    "Bình Minh",
    "Mầm Xanh",
    "Hoa Phượng",
    "Bông Sen",
    "Ban Mai",
    "Sao Sáng",
    "Tuổi Hồng",
    "Hoa Thiên Lý",
    "Búp Sen Hồng",
    "Bé Ngoan",
    "Hoa Dừa",
    "Thiên Thanh",
    "Cây Xanh",
    "Hoa Lư",
    "Bông Hồng",
    "Chim Non",
    "Hoa Huệ",
    "Hoa Ngọc Lan",
    "Vàng Anh",
    "Sen Hồng",
    "Mai Vàng",
    "Hoa Sứ",
];

fn id(level4: u16, level3: u16, level2: u16) -> Option<OrganId> {
    OrganId::parse(&format!("{level4:03}.{level3:02}.{level2:02}.H29")).ok()
}

fn group_id(slug: &str) -> Option<GroupId> {
    GroupId::parse(slug).ok()
}

/// Collects units while keeping every name unique: a name already used in
/// another district gets the district in parentheses, as people write it.
struct Builder {
    file: DirectoryFile,
    names: std::collections::HashSet<String>,
}

impl Builder {
    fn add(&mut self, id: OrganId, name: String, parent: Option<&OrganId>, kind: UnitKind, area: &str) -> OrganId {
        let name = if self.names.insert(name.clone()) { name } else { format!("{name} ({area})") };
        self.names.insert(name.clone());
        self.file.units.push(Unit {
            id: id.clone(),
            name,
            parent: parent.cloned(),
            kind,
            active: true,
            merged_into: None,
        });
        id
    }

    fn group(&mut self, slug: &str, name: &str, members: Vec<Member>) -> Option<GroupId> {
        let gid = group_id(slug)?;
        self.file.groups.push(Group { id: gid.clone(), name: name.to_string(), members });
        Some(gid)
    }

    fn alias(&mut self, text: &str, targets: Vec<Member>) {
        self.file.aliases.push(Alias { text: text.to_string(), targets });
    }
}

/// The sample directory file (see the module documentation).
pub fn hcmc_file() -> DirectoryFile {
    build().unwrap_or_default()
}

/// The sample directory, checked and indexed like any file.
pub fn try_hcmc() -> Result<Directory, DirectoryError> {
    Directory::from_file(hcmc_file(), Limits::default())
}

/// The sample directory. It is fixed data, and the tests check that
/// [`try_hcmc`] accepts it; were it ever refused, this gives an empty
/// directory (every line unresolved) rather than a panic.
pub fn hcmc() -> Directory {
    try_hcmc().unwrap_or_else(|_| Directory {
        file: DirectoryFile::default(),
        units: Default::default(),
        groups: Default::default(),
        index: Default::default(),
    })
}

fn units_of(ids: &[OrganId]) -> Vec<Member> {
    ids.iter().cloned().map(Member::Unit).collect()
}

fn build() -> Option<DirectoryFile> {
    let mut b = Builder { file: DirectoryFile::default(), names: Default::default() };
    let dept = b.add(
        OrganId::parse(DEPARTMENT).ok()?,
        "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh".into(),
        None,
        UnitKind::Department,
        "",
    );
    let city = "Thành phố";

    let board = b.add(id(0, 90, 12)?, "Ban Giám đốc Sở Giáo dục và Đào tạo".into(), Some(&dept), UnitKind::Board, city);
    let party = b.add(
        id(0, 91, 12)?,
        "Ban Thường vụ Đảng ủy Sở Giáo dục và Đào tạo".into(),
        Some(&dept),
        UnitKind::PartyCommittee,
        city,
    );
    let union = b.add(
        id(0, 92, 12)?,
        "Công đoàn Ngành Giáo dục Thành phố Hồ Chí Minh".into(),
        Some(&dept),
        UnitKind::TradeUnion,
        city,
    );

    let mut divisions = Vec::new();
    for (k, name) in (1u16..).zip(DIVISIONS) {
        divisions.push(b.add(id(0, k, 12)?, (*name).to_string(), Some(&dept), UnitKind::Division, city));
    }
    let inspectorate = b.add(id(0, 19, 12)?, "Thanh tra Sở".into(), Some(&dept), UnitKind::Division, city);

    let mut attached = Vec::new();
    for (k, name) in (60u16..).zip(DIRECTLY_ATTACHED) {
        attached.push(b.add(id(0, k, 12)?, (*name).to_string(), Some(&dept), UnitKind::DirectlyAttachedUnit, city));
    }
    let mut high = Vec::new();
    for (k, name) in (1u16..).zip(HIGH_SCHOOLS) {
        high.push(b.add(id(k, 20, 12)?, format!("Trường THPT {name}"), Some(&dept), UnitKind::HighSchool, city));
    }
    let mut multi = Vec::new();
    for (k, name) in (1u16..).zip(MULTI_LEVEL) {
        multi.push(b.add(id(k, 21, 12)?, (*name).to_string(), Some(&dept), UnitKind::MultiLevelSchool, city));
    }

    let mut committees = Vec::new();
    let mut offices = Vec::new();
    let mut centres = Vec::new();
    let mut district_groups = Vec::new();
    // Kindergartens, primary and lower secondary schools of every district.
    let mut by_level: [Vec<OrganId>; 3] = Default::default();
    let mut merge_example = None;
    for (d, (area, slug, mn, th, thcs)) in (30u16..).zip(DISTRICTS) {
        let committee =
            b.add(id(0, 0, d)?, format!("Ủy ban nhân dân {area}"), None, UnitKind::DistrictPeoplesCommittee, area);
        let office = b.add(
            id(0, 1, d)?,
            format!("Phòng Giáo dục và Đào tạo {area}"),
            Some(&committee),
            UnitKind::DistrictEducationOffice,
            area,
        );
        centres.push(b.add(
            id(0, 2, d)?,
            format!("Trung tâm Giáo dục nghề nghiệp - Giáo dục thường xuyên {area}"),
            Some(&committee),
            UnitKind::ContinuingEducationCentre,
            area,
        ));
        let mut schools = Vec::new();
        let mut n = 0u16;
        // Names are drawn from the pools at an offset per district, so
        // neighbouring districts do not repeat each other's lists.
        let offset = usize::from(d).saturating_mul(7);
        let levels = [
            (*mn, "Trường Mầm non", KINDERGARTEN_NAMES, UnitKind::Kindergarten),
            (*th, "Trường Tiểu học", PEOPLE, UnitKind::PrimarySchool),
            (*thcs, "Trường THCS", PEOPLE, UnitKind::LowerSecondarySchool),
        ];
        for ((count, prefix, pool, kind), level) in levels.into_iter().zip(by_level.iter_mut()) {
            for k in 0..usize::from(count) {
                n = n.saturating_add(1);
                let base = pool.get(offset.saturating_add(k) % pool.len().max(1)).copied().unwrap_or("Số 1");
                // Past the pool's size, schools are told apart by number, as
                // ward-named kindergartens are ("Mầm non Hoa Mai 2").
                let round = k / pool.len().max(1);
                let name =
                    if round == 0 { format!("{prefix} {base}") } else { format!("{prefix} {base} {}", round + 1) };
                let school = b.add(id(n, 1, d)?, name, Some(&office), kind, area);
                level.push(school.clone());
                schools.push(school);
            }
        }
        if *slug == "quan-1" {
            // Two primary schools of Quận 1: the first merged into the second.
            let from = schools.get(usize::from(*mn)).cloned();
            let to = schools.get(usize::from(*mn).saturating_add(1)).cloned();
            merge_example = from.zip(to);
        }
        let g =
            b.group(&format!("truong-{slug}"), &format!("Các trường thuộc Phòng GD&ĐT {area}"), units_of(&schools))?;
        district_groups.push(Member::Group(g));
        committees.push(committee);
        offices.push(office);
    }

    // Quận 2, Quận 9 and Quận Thủ Đức became Thủ Đức city in 2021.
    let thu_duc_committee = committees.first()?.clone();
    let thu_duc_office = offices.first()?.clone();
    for (k, area) in (52u16..).zip(["Quận 2", "Quận 9", "quận Thủ Đức"]) {
        let c = b.add(id(0, 0, k)?, format!("Ủy ban nhân dân {area}"), None, UnitKind::DistrictPeoplesCommittee, area);
        let o = b.add(
            id(0, 1, k)?,
            format!("Phòng Giáo dục và Đào tạo {area}"),
            Some(&c),
            UnitKind::DistrictEducationOffice,
            area,
        );
        mark_merged(&mut b.file, &c, &thu_duc_committee);
        mark_merged(&mut b.file, &o, &thu_duc_office);
    }
    if let Some((from, to)) = merge_example {
        mark_merged(&mut b.file, &from, &to);
    }

    let g_committees =
        b.group("ubnd-quan-huyen", "Ủy ban nhân dân thành phố Thủ Đức và các quận, huyện", units_of(&committees))?;
    let g_offices =
        b.group("phong-gddt", "Phòng Giáo dục và Đào tạo thành phố Thủ Đức và các quận, huyện", units_of(&offices))?;
    let g_centres =
        b.group("tt-gdnn-gdtx", "Trung tâm Giáo dục nghề nghiệp - Giáo dục thường xuyên", units_of(&centres))?;
    let g_divisions = b.group("phong-thuoc-so", "Phòng thuộc Sở", units_of(&divisions))?;
    let mut all_divisions = vec![Member::Group(g_divisions.clone())];
    all_divisions.push(Member::Unit(inspectorate));
    let g_all_divisions = b.group("phong-ban-so", "Phòng, ban thuộc Sở", all_divisions)?;
    let g_high = b.group("thpt-cong-lap", "Trường THPT công lập", units_of(&high))?;
    let g_multi = b.group("nhieu-cap-thpt", "Trường phổ thông có nhiều cấp học có cấp THPT", units_of(&multi))?;
    let g_attached_only =
        b.group("trung-tam-truc-thuoc", "Trung tâm và trường chuyên biệt trực thuộc Sở", units_of(&attached))?;
    let g_attached = b.group(
        "don-vi-truc-thuoc",
        "Đơn vị trực thuộc Sở",
        vec![Member::Group(g_high.clone()), Member::Group(g_multi.clone()), Member::Group(g_attached_only)],
    )?;
    let [mam_non, tieu_hoc, thcs] = &by_level;
    b.group("mam-non", "Trường Mầm non", units_of(mam_non))?;
    b.group("tieu-hoc", "Trường Tiểu học", units_of(tieu_hoc))?;
    b.group("thcs", "Trường THCS", units_of(thcs))?;
    let g_district_schools =
        b.group("truong-quan-huyen", "Trường mầm non, tiểu học, THCS các quận, huyện", district_groups)?;
    b.group(
        "toan-nganh",
        "Toàn ngành Giáo dục và Đào tạo Thành phố",
        vec![
            Member::Group(g_all_divisions),
            Member::Group(g_attached.clone()),
            Member::Group(g_offices.clone()),
            Member::Group(g_centres.clone()),
            Member::Group(g_district_schools),
        ],
    )?;

    // The phrases of the 004 notice's "Nơi nhận" block and their common
    // variants; group names above cover the rest.
    b.alias("UBND thành phố Thủ Đức và các quận, huyện", vec![Member::Group(g_committees.clone())]);
    b.alias("UBND quận, huyện", vec![Member::Group(g_committees.clone())]);
    b.alias("UBND quận - huyện và thành phố Thủ Đức", vec![Member::Group(g_committees)]);
    b.alias("BTV, BGĐ Sở GD&ĐT", vec![Member::Unit(party.clone()), Member::Unit(board.clone())]);
    b.alias("BTV Đảng ủy Sở", vec![Member::Unit(party)]);
    b.alias("BGĐ Sở", vec![Member::Unit(board)]);
    b.alias("BTV Công đoàn GD Thành phố", vec![Member::Unit(union.clone())]);
    b.alias("Công đoàn Ngành Giáo dục Thành phố", vec![Member::Unit(union)]);
    b.alias("Phòng GD&ĐT tp. Thủ Đức và các Q/H", vec![Member::Group(g_offices.clone())]);
    b.alias("Phòng Giáo dục và Đào tạo quận - huyện và thành phố Thủ Đức", vec![Member::Group(g_offices.clone())]);
    b.alias("Phòng GD&ĐT quận, huyện", vec![Member::Group(g_offices.clone())]);
    b.alias("Phòng GD&ĐT", vec![Member::Group(g_offices)]);
    b.alias("Phòng thuộc Sở", vec![Member::Group(g_divisions)]);
    b.alias("Trường THPT", vec![Member::Group(g_high.clone())]);
    b.alias("Trường trung học phổ thông công lập", vec![Member::Group(g_high)]);
    b.alias("Trường phổ thông có nhiều cấp học (có cấp THPT)", vec![Member::Group(g_multi)]);
    b.alias("TT.GDNN-GDTX", vec![Member::Group(g_centres.clone())]);
    b.alias("Trung tâm GDNN-GDTX quận, huyện", vec![Member::Group(g_centres)]);
    b.alias("Đơn vị trực thuộc", vec![Member::Group(g_attached)]);
    Some(b.file)
}

fn mark_merged(file: &mut DirectoryFile, unit: &OrganId, successor: &OrganId) {
    if let Some(u) = file.units.iter_mut().find(|u| &u.id == unit) {
        u.active = false;
        u.merged_into = Some(successor.clone());
    }
}
